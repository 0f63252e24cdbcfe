"""aiogram FSM storage on our own database (aiogram ships none for SQL); the one storage module
that imports aiogram.

One row per StorageKey holds state and data together, written with one upsert per call through
SQLAlchemy Core. While an update is being handled, the per-update middleware binds its session
with :func:`bind_session`: FSM reads and writes then run in that session's transaction, so they
commit (or roll back) together with the handler's other writes, and SQLite never sees a second
writer queueing behind the update's own open transaction. Outside an update (or without the
middleware) each call runs alone on a connection of the engine, in autocommit mode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.models import FsmRecord

if TYPE_CHECKING:
    from bot.settings import Settings

_TABLE = FsmRecord.__table__
_bound_session: ContextVar[AsyncSession | None] = ContextVar("zhaolu_fsm_session", default=None)


@contextmanager
def bind_session(session: AsyncSession) -> Iterator[None]:
    """Route FSM calls made inside this block (this task and its children) through `session`."""
    token = _bound_session.set(session)
    try:
        yield
    finally:
        _bound_session.reset(token)


def record_key(key: StorageKey) -> str:
    """bot:business_connection:chat:thread:user:destiny, every part of the key kept apart."""
    return ":".join(
        (
            str(key.bot_id),
            key.business_connection_id or "",
            str(key.chat_id),
            str(key.thread_id) if key.thread_id is not None else "",
            str(key.user_id),
            key.destiny,
        )
    )


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class SqlStorage(BaseStorage):
    """FSM state and data in the ``fsm_records`` table. Data must be JSON-serialisable (as with
    aiogram's RedisStorage), so it survives restarts unchanged."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._insert = upsert_insert(engine.dialect.name)

    async def _execute(self, statement: Executable, *, returns_row: bool) -> Row[Any] | None:
        session = _bound_session.get()
        if session is not None:
            result = await (await session.connection()).execute(statement)
            return result.first() if returns_row else None
        async with self._autocommit.connect() as connection:
            result = await connection.execute(statement)
            return result.first() if returns_row else None

    async def _read(self, key: StorageKey) -> Row[Any] | None:
        statement = select(_TABLE.c.state, _TABLE.c.data).where(_TABLE.c.key == record_key(key))
        return await self._execute(statement, returns_row=True)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        row = {"state": None, "data": "{}"} | values
        statement = (
            self._insert(_TABLE)
            .values(key=record_key(key), chat_id=key.chat_id, user_id=key.user_id, **row)
            .on_conflict_do_update(index_elements=[_TABLE.c.key], set_=values)
        )
        await self._execute(statement, returns_row=False)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._upsert(key, state=_state_name(state))

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return row.state if row is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"FSM data must be a mapping, not {type(data).__name__}")
        await self._upsert(key, data=json.dumps(dict(data), ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        return json.loads(row.data) if row is not None else {}

    async def close(self) -> None:
        """Nothing of its own to close: the engine belongs to whoever created it."""


def redis_key_builder(prefix: str = "fsm") -> DefaultKeyBuilder:
    """Keys that keep apart everything SqlStorage keeps apart (bots and business connections
    too, so two bots may share one Redis)."""
    return DefaultKeyBuilder(
        prefix=prefix, with_bot_id=True, with_business_connection_id=True, with_destiny=True
    )


def build_fsm_storage(settings: Settings, engine: AsyncEngine) -> BaseStorage:
    """aiogram's RedisStorage when ZHAOLU_REDIS_URL is set, else SqlStorage on `engine`."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url, key_builder=redis_key_builder())
    return SqlStorage(engine)
