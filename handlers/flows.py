"""Conversation flows share one FSM state per chat: leaving one must not lose another's data."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext


async def leave_flow(state: FSMContext, *keys: str, prefix: str | None = None) -> None:
    """No state any more; drop only the flow's own data: `keys`, and keys starting `prefix`."""
    data = {k: v for k, v in (await state.get_data()).items()
            if k not in keys and not (prefix and k.startswith(prefix))}
    await state.set_state(None)
    await state.set_data(data)
