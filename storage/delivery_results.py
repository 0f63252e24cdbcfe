"""The sender's results written to the delivery ledger: one attempt's outcome per row, many rows
in one statement (the sender's group commit). Repositories take the session keyword-first and
never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.delivery import SENT, Delivery


@dataclass(frozen=True)
class Result:
    """One attempt's outcome; status SENDING means 'will retry' (attempt counted, row kept)."""

    delivery_id: int
    status: str
    at: datetime
    error: str | None = None
    telegram_message_id: int | None = None
    outcome: str | None = None  # how it went on its channel (storage.delivery)


_table = Delivery.__table__  # Core, for one executemany over many rows
_RECORD = (
    _table.update()
    .where(_table.c.id == bindparam("r_id"))
    .values(status=bindparam("r_status"), attempts=_table.c.attempts + 1,
            last_error=bindparam("r_error"), sent_at=bindparam("r_sent_at"),
            telegram_message_id=bindparam("r_message_id"), outcome=bindparam("r_outcome"))
)


async def record_many(session: AsyncSession, *, results: Sequence[Result]) -> None:
    """Several results in one statement: the sender's group commit."""
    if not results:
        return
    rows = [{"r_id": r.delivery_id, "r_status": r.status,
             "r_error": r.error[:500] if r.error else None,
             "r_sent_at": r.at if r.status == SENT else None,
             "r_message_id": r.telegram_message_id if r.status == SENT else None,
             "r_outcome": r.outcome}
            for r in results]
    connection = await session.connection()
    await connection.execute(_RECORD, rows)


async def record(session: AsyncSession, *, delivery_id: int, status: str, now: datetime,
                 error: str | None = None, telegram_message_id: int | None = None,
                 outcome: str | None = None) -> None:
    await record_many(session, results=[Result(delivery_id, status, now, error,
                                               telegram_message_id, outcome)])
