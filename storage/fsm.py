"""aiogram FSM storage on our own database (aiogram ships none for SQL); the one storage module
that imports aiogram.

One row per StorageKey holds state and data together; each call is one statement, one round
trip: a select, or an ``INSERT … ON CONFLICT DO UPDATE`` (same text on SQLite and PostgreSQL).

Where it runs:
- While an update is handled, the per-update middleware binds its session with
  :func:`bind_session`: FSM calls then run on that session's connection, inside its transaction,
  so they commit (or roll back) with the handler's other writes (the session is committed
  before each Bot API request and after the handler: bot/update_session.py). On SQLite this is
  required as soon as the update has written anything: a second connection would queue behind
  the update's own open write transaction until the busy timeout.
- Otherwise (aiogram reading the state before the middleware runs, scripts, the benchmark), on
  a connection of the storage's own, held open in autocommit mode.

The statements go to the driver connection (aiosqlite, asyncpg) directly: measured on SQLite,
a Core select through the pool cost ~1000 µs, on a held connection ~350 µs, on the driver ~60 µs.
The SQL is three fixed statements on one table (storage.models.FsmRecord), migrated by Alembic.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from content.retention import UNFINISHED_DAYS
from storage.models import FsmRecord

if TYPE_CHECKING:
    from bot.settings import Settings

_TABLE = FsmRecord.__tablename__
_SELECT = f"SELECT state, data FROM {_TABLE} WHERE key = ?"
_UPSERT = (
    f"INSERT INTO {_TABLE} (key, chat_id, user_id, state, data) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET {column} = excluded.{column}"
)


class Binding:
    """The bound session, and its driver connection for as long as its transaction lasts.

    `lock` is for whoever commits it from another task's request (bot/update_session.py):
    requests sent at once (gather) must not commit it together."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.transaction: object | None = None
        self.raw: Any = None
        self.lock = asyncio.Lock()


_binding: ContextVar[Binding | None] = ContextVar("zhaolu_update_session", default=None)


@contextmanager
def bind_session(session: AsyncSession) -> Iterator[None]:
    """Route FSM calls made inside this block (this task and its children) through `session`."""
    token = _binding.set(Binding(session))
    try:
        yield
    finally:
        _binding.reset(token)


def bound() -> Binding | None:
    """The binding of the update being handled in this task, if any."""
    return _binding.get()


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


def _numbered(sql: str) -> str:
    """asyncpg wants $1, $2, … where sqlite3 takes ?."""
    parts = sql.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]


class _Driver:
    """The two statements' round trips on one driver connection."""

    def __init__(self, dialect: str) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"SqlStorage does not know dialect {dialect!r}")
        self.postgres = dialect == "postgresql"
        self.select = _numbered(_SELECT) if self.postgres else _SELECT
        self.upserts = {
            column: _numbered(sql) if self.postgres else sql
            for column in ("state", "data")
            for sql in [_UPSERT.format(column=column)]
        }

    async def fetch(self, raw: Any, key: str) -> Sequence[Any] | None:
        if self.postgres:
            return await raw.fetchrow(self.select, key)
        rows = await raw.execute_fetchall(self.select, (key,))
        return rows[0] if rows else None

    async def upsert(self, raw: Any, column: str, params: tuple[Any, ...]) -> None:
        if self.postgres:
            await raw.execute(self.upserts[column], *params)
        else:
            await raw.execute_fetchall(self.upserts[column], params)


class SqlStorage(BaseStorage):
    """FSM state and data in the ``fsm_records`` table. Data must be JSON-serialisable (as with
    aiogram's RedisStorage). Call :meth:`close` before disposing of the engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._driver = _Driver(engine.dialect.name)
        self._own: AsyncConnection | None = None
        self._own_raw: Any = None
        self._lock = asyncio.Lock()  # a driver connection runs one statement at a time

    async def _bound_raw(self, binding: Binding) -> Any:
        transaction = binding.session.sync_session.get_transaction()
        if transaction is not None and transaction is binding.transaction:
            return binding.raw
        connection = await binding.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        if self._driver.postgres and not raw.is_in_transaction():
            # SQLAlchemy begins lazily, at its first statement; ours must not run before it.
            await connection.exec_driver_sql("SELECT 1")
        binding.transaction = binding.session.sync_session.get_transaction()
        binding.raw = raw
        return raw

    async def _own_connection(self) -> Any:
        if self._own_raw is None:
            self._own = await self._engine.connect()
            self._own_raw = (await self._own.get_raw_connection()).driver_connection
        return self._own_raw

    async def _drop_own(self, *, broken: bool) -> None:
        own, self._own, self._own_raw = self._own, None, None
        if own is not None:
            if broken:
                await own.invalidate()
            await own.close()

    async def _run(self, operation: str, *args: Any) -> Any:
        binding = _binding.get()
        if binding is not None:
            return await getattr(self._driver, operation)(await self._bound_raw(binding), *args)
        async with self._lock:
            try:
                return await getattr(self._driver, operation)(await self._own_connection(), *args)
            except BaseException:
                # The connection may be broken (server restart, cancellation mid-statement):
                # the next call opens a fresh one.
                await self._drop_own(broken=True)
                raise

    async def _read(self, key: StorageKey) -> Sequence[Any] | None:
        return await self._run("fetch", record_key(key))

    async def _upsert(self, key: StorageKey, column: str, state: str | None, data: str) -> None:
        params = (record_key(key), key.chat_id, key.user_id, state, data)
        await self._run("upsert", column, params)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        await self._upsert(key, "state", name, "{}")

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return row[0] if row is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"FSM data must be a mapping, not {type(data).__name__}")
        await self._upsert(key, "data", None, json.dumps(dict(data), ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        return json.loads(row[1]) if row is not None else {}

    async def close(self) -> None:
        """Return the storage's own connection; the engine belongs to whoever created it."""
        async with self._lock:
            await self._drop_own(broken=False)


def redis_key_builder(prefix: str = "fsm") -> DefaultKeyBuilder:
    """Keys that keep apart everything SqlStorage keeps apart (bots and business connections
    too, so two bots may share one Redis)."""
    return DefaultKeyBuilder(
        prefix=prefix, with_bot_id=True, with_business_connection_id=True, with_destiny=True
    )


_reads: ContextVar[dict[Any, Any] | None] = ContextVar(
    "zhaolu_fsm_reads", default=None)
_WRITTEN = "written"  # the marker of a value this update wrote (so Redis holds it, TTL fresh)


@contextmanager
def fsm_reads_cached() -> Iterator[None]:
    """Within this block (one update's handling: bot/update_inbox.py), FSM state and data read
    from Redis are kept and read again from memory, and a write that changes nothing is not
    sent: deleting what is already empty, or writing again what this update wrote (the expiry
    was renewed then). Every other write goes to Redis at once. Sound because the update holds
    its user's lock (bot/user_lock.py) from before its first read to after its last write: no
    one else writes that user's keys meanwhile. Measured on the bench's conversation: Redis
    commands per update 8.7 -> ~6 (issue 15: the workers are CPU-bound, and a command costs
    ~150 µs of CPU in redis-py)."""
    token = _reads.set({})
    try:
        yield
    finally:
        _reads.reset(token)


def _unchanged(kept: dict[Any, Any], field: tuple[StorageKey, str],
               value: Any, empty: Any) -> bool:
    """Whether writing `value` would change nothing in Redis (see fsm_reads_cached)."""
    if field not in kept or kept[field] != value:
        return False
    return value == empty or (field, _WRITTEN) in kept


@functools.cache
def _redis_storage_class() -> type[BaseStorage]:
    from aiogram.fsm.storage.redis import RedisStorage

    class UpdateCachedRedisStorage(RedisStorage):
        """aiogram's RedisStorage; reads kept for the update inside `fsm_reads_cached`."""

        async def get_state(self, key: StorageKey) -> str | None:
            kept = _reads.get()
            if kept is None:
                return await super().get_state(key)
            if (key, "state") not in kept:
                kept[key, "state"] = await super().get_state(key)
            return kept[key, "state"]

        async def set_state(self, key: StorageKey, state: StateType = None) -> None:
            kept = _reads.get()
            name = state.state if isinstance(state, State) else state
            if kept is None:
                return await super().set_state(key, state)
            if _unchanged(kept, (key, "state"), name, None):
                return None
            kept.pop((key, "state"), None)  # a failed write is read back from Redis
            await super().set_state(key, state)
            kept[key, "state"] = name
            kept[(key, "state"), _WRITTEN] = True
            return None

        def read_along(self, pipeline: Any, key: StorageKey
                       ) -> Callable[[list[Any]], None] | None:
            """Queue the user's state and data reads on `pipeline` (the user's lock is taken in
            the same round trip: bot/user_lock.py) when this update keeps its reads and has not
            read them yet. Returns what keeps the two results, given the pipeline's results
            after the lock's; None when nothing was queued."""
            kept = _reads.get()
            if kept is None or (key, "state") in kept or (key, "data") in kept:
                return None
            pipeline.get(self.key_builder.build(key, "state"))
            pipeline.get(self.key_builder.build(key, "data"))

            def keep(results: list[Any]) -> None:
                state, data = (v.decode("utf-8") if isinstance(v, bytes) else v for v in results)
                kept[key, "state"] = state
                kept[key, "data"] = {} if data is None else self.json_loads(data)

            return keep

        async def get_data(self, key: StorageKey) -> dict[str, Any]:
            kept = _reads.get()
            if kept is None:
                return await super().get_data(key)
            if (key, "data") not in kept:
                kept[key, "data"] = await super().get_data(key)
            return copy.deepcopy(kept[key, "data"])  # the caller may change what it got

        async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
            kept = _reads.get()
            if kept is None:
                return await super().set_data(key, data)
            if _unchanged(kept, (key, "data"), data, {}):
                return None
            kept.pop((key, "data"), None)
            await super().set_data(key, data)
            kept[key, "data"] = copy.deepcopy(dict(data))
            kept[(key, "data"), _WRITTEN] = True
            return None

    return UpdateCachedRedisStorage


REDIS_POOL = 100  # connections per process
REDIS_POOL_WAIT = 20.0  # seconds an update waits for one before it fails


def build_fsm_storage(settings: Settings, engine: AsyncEngine) -> BaseStorage:
    """aiogram's RedisStorage when ZHAOLU_REDIS_URL is set, else SqlStorage on `engine`."""
    if settings.redis_url:
        from redis.asyncio import BlockingConnectionPool, Redis

        # Unfinished forms are kept 30 days (content/retention.py): in Redis by expiry, the
        # database's rows by `zhaolu purge` and its daily job.
        ttl = timedelta(days=UNFINISHED_DAYS)
        # A burst (a restart with updates queued) waits up to REDIS_POOL_WAIT s for a
        # connection instead of failing at the pool's limit, as redis-py's default pool does.
        pool = BlockingConnectionPool.from_url(settings.redis_url, max_connections=REDIS_POOL,
                                               timeout=REDIS_POOL_WAIT)
        return _redis_storage_class()(Redis(connection_pool=pool),
                            key_builder=redis_key_builder(settings.redis_prefix),
                            state_ttl=ttl, data_ttl=ttl)
    return SqlStorage(engine)
