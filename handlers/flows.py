"""Conversation flows share one FSM state per chat: leaving one must not lose another's data."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext

# Row ids are INTEGER columns (PostgreSQL: 32 bits); Telegram ids and the rest fit in 64 bits.
MAX_ROW_ID = 2**31 - 1
INT64_MAX = 2**63 - 1


def row_id(text: str) -> int | None:
    """A button's row id, or None when it is not one any row can have (a forged button)."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None


async def leave_flow(state: FSMContext, *keys: str, prefix: str | None = None) -> None:
    """No state any more; drop only the flow's own data: `keys`, and keys starting `prefix`."""
    data = {k: v for k, v in (await state.get_data()).items()
            if k not in keys and not (prefix and k.startswith(prefix))}
    await state.set_state(None)
    await state.set_data(data)
