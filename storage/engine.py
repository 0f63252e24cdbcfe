"""Engines, sessions and schema preparation for any SQLAlchemy URL (SQLite or PostgreSQL).

Sessions are SQLModel's `AsyncSession` (a subclass of SQLAlchemy's): use ``session.exec(...)``;
its ``session.execute`` is marked deprecated by SQLModel and warns.

Personal data (issue 14 findings 3–5): every engine hides SQL parameters from its errors and logs
(``hide_parameters``: a failing insert would otherwise print the row, ID number included); a
SQLite file and its -wal/-shm are 0600 in a 0700 directory whatever the umask
(storage/files.py), and every SQLite connection overwrites deleted content (``secure_delete``:
upstream's default leaves deleted rows readable in free pages of the file).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import greenlet_spawn
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.files import private_sqlite

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant will do; it only has to be the same in every process sharing the database.
_MIGRATION_LOCK_ID = 0x7A68616F6C75  # "zhaolu"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connection pools, per process. Transactions are short (never open across a Bot API call:
# bot/update_session.py), so a connection is checked out for milliseconds per update.
# SQLite: one writer at a time whatever the pool, and each aiosqlite connection is a thread of
# its own; a few kept open (overflow ones are closed on return, and reopening costs a thread and
# the pragmas) serve hundreds of updates a second. The FSM storage holds one for itself.
SQLITE_POOL = {"pool_size": 10, "max_overflow": 5, "pool_timeout": 30}
# PostgreSQL: at most 20 connections per process, waited for up to 30 s (then the update fails
# into the error reply): 3 workers and the CLI stay well under PostgreSQL's default
# max_connections (100). README "Deploying" says how to count them. All 20 are kept once opened
# (no overflow): a busy worker uses them all, and an overflow connection is closed when given
# back, so under load one was opened (TCP, start-up, asyncpg's set-up) about every 12 updates.
POSTGRES_POOL = {"pool_size": 20, "max_overflow": 0, "pool_timeout": 30}
# A pooled PostgreSQL connection idle this long is pinged before it is handed out (a server
# restart, a dropped idle connection). SQLAlchemy's pool_pre_ping pings at every checkout: on
# asyncpg three round trips (BEGIN, ";", ROLLBACK), ~300 µs of CPU, several times per update;
# a connection given back moments ago is as alive as the statement it just ran.
PING_IDLE_SECONDS = 2.0


def normalize_url(url: str | URL) -> URL:
    """Pick the async driver when a URL names none (``sqlite:///…``, ``postgresql://…``)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.get_driver_name() != "aiosqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql" and parsed.get_driver_name() != "asyncpg":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers and the one writer proceed together, and with synchronous=NORMAL a
    # commit costs no fsync (durable at the next checkpoint; a power cut may lose the last ones).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An async engine; for SQLite, the file's directory is created and the pragmas set."""
    parsed = normalize_url(url)
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            private_sqlite(path)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        if path is not None:  # an in-memory database gets SQLAlchemy's single-connection pool
            kwargs = {**SQLITE_POOL, **kwargs}
        engine = create_async_engine(parsed, **kwargs)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    if parsed.get_backend_name() != "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(parsed, **kwargs)
    kwargs = {**POSTGRES_POOL, **kwargs}
    engine = create_async_engine(parsed, **kwargs)
    if not kwargs.get("pool_pre_ping"):  # pool_pre_ping=True asked for: every checkout
        ping_when_idle(engine, PING_IDLE_SECONDS)
    return engine


def ping_when_idle(engine: AsyncEngine, idle: float) -> None:
    """Ping a pooled connection at checkout when it was given back `idle` s ago or more; a dead
    one is replaced (raising DisconnectionError makes the pool connect anew, as a failed
    pre-ping does) and, as with pre-ping, the statement runs on a live connection."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _given_back(_dbapi: Any, record: Any) -> None:
        if record is not None:
            record.info["zhaolu_idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _taken(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("zhaolu_idle_since")
        if since is None or time.monotonic() - since < idle:
            return  # new, or used moments ago
        try:
            engine.dialect.do_ping(dbapi)
        except Exception as error:
            raise exc.DisconnectionError(f"idle connection found dead: {error}") from error


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """A pooled connection's driver connection (asyncpg's, aiosqlite's) for a statement that
    stands alone: it is in no transaction, so the statement commits by itself. It skips
    SQLAlchemy's Connection and execution (a worker's hot path: issue 15); the pool's checkout
    events still run (the idle ping above). A connection whose statement raised (or was
    cancelled) is dropped from the pool: it may be broken."""
    pooled = await engine.raw_connection()
    try:
        yield pooled.driver_connection
    except BaseException:
        await greenlet_spawn(pooled.invalidate)
        raise
    await greenlet_spawn(pooled.close)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def upsert_insert(dialect_name: str) -> Any:
    """The dialect's ``insert`` construct that has ``on_conflict_do_update``."""
    if dialect_name == "sqlite":
        return sqlite.insert
    if dialect_name == "postgresql":
        return postgresql.insert
    raise NotImplementedError(f"no upsert for dialect {dialect_name!r}")


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        # Several workers may start at once: one migrates, the others wait and find it done.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
    command.upgrade(alembic_config(connection), "head")


async def prepare_database(engine: AsyncEngine) -> None:
    """Bring the schema to the head revision; a no-op when it is already there."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


@asynccontextmanager
async def one_session(url: str) -> AsyncIterator[AsyncSession]:
    """A command's database: the schema brought up to date, one session, the engine disposed
    after (the commands run once and exit)."""
    engine = create_engine(url)
    try:
        await prepare_database(engine)
        async with make_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)
