"""The transactional inbox: every update is written here before Telegram is told it arrived.

Polling advances its offset, and the webhook answers 200, only after the update's row is
committed; a worker then handles the row and marks it handled in the handler's own transaction,
so a crash between the two leaves an unhandled row that the next start resumes, and a duplicate
`update_id` (Telegram retrying a webhook, two pollers) finds the row already there and is
dropped. The payload can hold what an applicant typed (an ID number), so it is encrypted like
every other personal field and cleared once the update is handled; the row itself stays a while
for the duplicate check, then is purged.

`channel` keeps the id spaces of channels apart ("telegram"; a WeChat message id later).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Text,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.models import User
from storage.types import AwareDateTime, utc_now


class UpdateRecord(SQLModel, table=True):
    __tablename__ = "update_inbox"
    # A user's unhandled rows, and only those: what every update's order check (the EXISTS
    # in record's RETURNING, waits_for_earlier) and the sweeper's look for. Without it the
    # check read the whole primary-key range below the update (all channel's rows, kept for
    # days): ~0.75 ms of PostgreSQL's CPU per update at 13,000 rows, against ~0.01 ms.
    # PostgreSQL only: with it, SQLite 3.40 answers that EXISTS wrongly for a NULL user_id in
    # a multi-row insert's RETURNING (true, even behind "user_id IS NOT NULL AND").
    __table_args__ = (Index("ix_update_inbox_unhandled", "channel", "user_id", "update_id",
                            postgresql_where=text("handled_at IS NULL"))
                      .ddl_if(dialect="postgresql"),)

    channel: str = Field(default="telegram", primary_key=True, max_length=16)
    update_id: int = Field(sa_type=BigInteger, primary_key=True,
                           sa_column_kwargs={"autoincrement": False})
    # The user the update comes from (None for updates without one): a user's updates are
    # handled in update_id order.
    user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    # The Update as JSON, encrypted; None once handled.
    payload: str | None = Field(default=None, sa_type=Text)
    received_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime, index=True)
    # A worker that takes the row holds it until then; an expired lease (the worker died) lets
    # another worker take it.
    lease_until: datetime | None = Field(default=None, sa_type=AwareDateTime)
    worker: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0)
    handled_at: datetime | None = Field(default=None, sa_type=AwareDateTime, index=True)


@dataclass(frozen=True)
class NewUpdate:
    """An update as recorded: its id, its user (None: none), its payload already encrypted."""

    update_id: int
    user_id: int | None
    payload: str


class UndeliveredReply(SQLModel, table=True):
    """A Bot API call that still failed after the retry policy gave up: never silently dropped.

    No message text is kept (it may carry personal data): the method, the chat, the update it
    answered and Telegram's error are enough to find and follow up the person.
    """

    __tablename__ = "undelivered_replies"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    method: str = Field(max_length=64)
    update_id: int | None = Field(default=None, sa_type=BigInteger)
    error: str = Field(default="", max_length=500)
    attempts: int = Field(default=1)
    failed_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime, index=True)


# -- the inbox's queries (repositories take the session keyword-first and never commit) ---------
#
# The three run for every update (record, waits_for_earlier, mark_handled) are Core statements
# built once, run on the session's connection (or a bare connection): an ORM statement built per
# call cost 600 µs of CPU each on PostgreSQL, a prebuilt Core one 250 µs (its cache key is
# computed once), and a worker's CPU is what bounds its updates/s (issue 15).

_T = UpdateRecord.__table__
# Whether an earlier update of the same user was unhandled as the row went in (the statement's
# snapshot: not the rows of the same insert). Returned with each new row, it spares the update
# the wait check before it is handled (one round trip fewer per update, issue 15). Written out:
# SQLAlchemy does not correlate a subquery in RETURNING with the inserted row.
_WAITED = literal_column(
    "EXISTS (SELECT 1 FROM update_inbox AS earlier"
    " WHERE earlier.channel = update_inbox.channel AND earlier.user_id = update_inbox.user_id"
    " AND earlier.update_id < update_inbox.update_id AND earlier.handled_at IS NULL)",
    Boolean)
_RECORD = {dialect: upsert_insert(dialect)(_T).on_conflict_do_nothing(
    index_elements=["channel", "update_id"]).returning(_T.c.update_id, _WAITED)
    for dialect in ("sqlite", "postgresql")}
_EARLIER = (select(_T.c.update_id)
            .where(_T.c.channel == bindparam("channel"), _T.c.user_id == bindparam("user"),
                   _T.c.update_id < bindparam("before"), _T.c.handled_at.is_(None))
            .limit(1))
_MARK = (update(_T)
         .where(_T.c.channel == bindparam("of_channel"), _T.c.update_id == bindparam("of_id"),
                _T.c.handled_at.is_(None))
         .values(handled_at=bindparam("at"), payload=None, lease_until=None))
# The insert of one update as asyncpg's own SQL ($1, $2, … in this order), for record_alone.
_RECORD_COLUMNS = ["channel", "update_id", "user_id", "payload", "received_at", "lease_until",
                   "worker", "attempts"]
_PG = PGDialect_asyncpg()
_RECORD_DRIVER = _RECORD["postgresql"].compile(dialect=_PG, column_keys=_RECORD_COLUMNS)
_TIMESTAMP = AwareDateTime()
# The mark and the update's user's row in one statement (claim): the UPDATE in a WITH, the user
# outer-joined to a one-row select, so the row comes back whether or not the user exists.
_MARKED = _MARK.returning(_T.c.update_id).cte("marked")
_CLAIM = (select(User, select(func.count()).select_from(_MARKED).scalar_subquery())
          .select_from(select(literal_column("1").label("one")).subquery("one"))
          .outerjoin(User, User.id == bindparam("user"))
          .execution_options(populate_existing=True))


async def _connection(db: AsyncSession | AsyncConnection) -> AsyncConnection:
    """The connection a Core statement runs on: a session's own (in its transaction)."""
    return db if isinstance(db, AsyncConnection) else await db.connection()


def _first_of_its_user() -> ColumnElement[bool]:
    """No earlier update of the same user is still unhandled: a user's updates go in order.
    Updates without a user (user_id NULL) never wait for one another."""
    earlier = aliased(UpdateRecord)
    return ~exists().where(
        earlier.channel == UpdateRecord.channel, earlier.user_id == UpdateRecord.user_id,
        earlier.update_id < UpdateRecord.update_id, col(earlier.handled_at).is_(None))


async def record(db: AsyncSession | AsyncConnection, *, channel: str,
                 rows: Sequence[NewUpdate], now: datetime, worker: str | None,
                 lease_until: datetime | None) -> dict[int, bool]:
    """Insert the updates not seen before (a duplicate is left as it is). Returns each inserted
    update_id with whether an earlier update of its user was still unhandled then (True: it
    must wait for that one). With `worker`, the new rows are leased to it: it handles them from
    memory."""
    if not rows:
        return {}
    connection = await _connection(db)
    values = [_values(channel, row, now, worker, lease_until) for row in rows]
    # Several rows go as one executemany (SQLAlchemy batches them into multi-row inserts).
    result = await connection.execute(_RECORD[connection.dialect.name],
                                      values if len(values) > 1 else values[0])
    return {update_id: bool(waits) for update_id, waits in result.all()}


async def record_alone(driver: Any, *, channel: str, row: NewUpdate, now: datetime,
                       worker: str | None, lease_until: datetime | None) -> dict[int, bool]:
    """record() of one update on PostgreSQL, run by asyncpg itself on `driver`, a connection in
    no transaction (storage/engine.py `driver_connection`): the insert commits alone. Without
    SQLAlchemy's Connection and execution around it, a worker spends ~130 µs of CPU less per
    update it receives (issue 15)."""
    values = _values(channel, row, now, worker, lease_until)
    for name in ("received_at", "lease_until"):
        values[name] = _TIMESTAMP.process_bind_param(values[name], _PG)
    found = await driver.fetch(_RECORD_DRIVER.string,
                               *(values[name] for name in _RECORD_DRIVER.positiontup or ()))
    return {update_id: bool(waits) for update_id, waits in found}


def _values(channel: str, row: NewUpdate, now: datetime, worker: str | None,
            lease_until: datetime | None) -> dict[str, Any]:
    return {"channel": channel, "update_id": row.update_id, "user_id": row.user_id,
            "payload": row.payload, "received_at": now, "worker": worker,
            "lease_until": lease_until, "attempts": 1 if worker else 0}


async def take(session: AsyncSession, *, channel: str, worker: str, now: datetime,
               lease_until: datetime, limit: int, user_id: int | None = None
               ) -> list[UpdateRecord]:
    """Lease up to `limit` unhandled rows nobody holds (never leased, released, or their
    worker's lease ran out), each the oldest unhandled row of its user; oldest first.
    `user_id`: that user's next row only."""
    free = or_(col(UpdateRecord.lease_until).is_(None), col(UpdateRecord.lease_until) < now)
    pick = (select(UpdateRecord.update_id)
            .where(col(UpdateRecord.channel) == channel, col(UpdateRecord.handled_at).is_(None),
                   free, _first_of_its_user())
            .order_by(col(UpdateRecord.update_id)).limit(limit))
    if user_id is not None:
        pick = pick.where(col(UpdateRecord.user_id) == user_id)
    if session.bind.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list((await session.exec(pick)).scalars().all())
    if not ids:
        return []
    result = await session.exec(
        update(UpdateRecord)
        .where(col(UpdateRecord.channel) == channel, col(UpdateRecord.update_id).in_(ids),
               col(UpdateRecord.handled_at).is_(None), free)
        .values(worker=worker, lease_until=lease_until, attempts=UpdateRecord.attempts + 1)
        .returning(UpdateRecord))
    return sorted(result.scalars().all(), key=lambda r: r.update_id)


async def waits_for_earlier(db: AsyncSession | AsyncConnection, *, channel: str,
                            user_id: int | None, update_id: int) -> bool:
    """Whether an earlier update of this user is still unhandled (held elsewhere or left by
    a worker that died): this one must wait for it."""
    if user_id is None:
        return False
    connection = await _connection(db)
    found = await connection.execute(
        _EARLIER, {"channel": channel, "user": user_id, "before": update_id})
    return found.first() is not None


async def renew(session: AsyncSession, *, channel: str, worker: str,
                lease_until: datetime) -> int:
    """Extend the lease of every unhandled row this worker holds."""
    result = await session.exec(update(UpdateRecord).where(
        col(UpdateRecord.channel) == channel, col(UpdateRecord.worker) == worker,
        col(UpdateRecord.handled_at).is_(None)).values(lease_until=lease_until))
    return result.rowcount or 0


async def release(session: AsyncSession, *, channel: str, worker: str,
                  update_ids: Sequence[int] | None = None) -> int:
    """Give rows back unhandled (a stopping worker, or rows that must wait for an earlier one):
    any worker may take them at once, and their take is not counted as an attempt. None: every
    row this worker holds."""
    where = [col(UpdateRecord.channel) == channel, col(UpdateRecord.worker) == worker,
             col(UpdateRecord.handled_at).is_(None)]
    if update_ids is not None:
        if not update_ids:
            return 0
        where.append(col(UpdateRecord.update_id).in_(list(update_ids)))
    uncounted = case((col(UpdateRecord.attempts) > 0, UpdateRecord.attempts - 1), else_=0)
    result = await session.exec(update(UpdateRecord).where(*where).values(
        worker=None, lease_until=None, attempts=uncounted))
    return result.rowcount or 0


async def mark_handled(db: AsyncSession | AsyncConnection, *, channel: str, update_id: int,
                       now: datetime) -> bool:
    """Mark the row handled and drop its payload; False if it was handled already (another
    worker took it over after this one's lease ran out)."""
    connection = await _connection(db)
    result = await connection.execute(_MARK, {"of_channel": channel, "of_id": update_id,
                                              "at": now})
    return bool(result.rowcount)


async def claim(session: AsyncSession, *, channel: str, update_id: int, now: datetime,
                user_id: int | None) -> tuple[bool, User | None]:
    """mark_handled, and the row of the update's user (None: not in the table yet; not read
    when `user_id` is None) read in the same transaction, into the session. On PostgreSQL one
    statement does both, the mark in a WITH: one round trip and ~170 µs of a worker's CPU fewer
    per update (issue 15). SQLite has no UPDATE in a WITH: the mark, then the read."""
    if user_id is None:
        return await mark_handled(session, channel=channel, update_id=update_id, now=now), None
    if session.bind.dialect.name != "postgresql":
        marked = await mark_handled(session, channel=channel, update_id=update_id, now=now)
        return marked, await session.get(User, user_id, populate_existing=True)
    user, marked = (await session.exec(_CLAIM, params={  # type: ignore[call-overload]
        "of_channel": channel, "of_id": update_id, "at": now, "user": user_id})).one()
    return bool(marked), user


async def unhandled_count(session: AsyncSession, *, channel: str) -> int:
    found = await session.exec(select(func.count()).select_from(UpdateRecord).where(
        col(UpdateRecord.channel) == channel, col(UpdateRecord.handled_at).is_(None)))
    return int(found.scalar_one())


def handled_before(moment: datetime) -> ColumnElement[bool]:
    """Rows handled before `moment`: past the duplicate check's window, purged (retention)."""
    return col(UpdateRecord.handled_at) < moment
