"""Database fixtures for every test module (tests/conftest.py does ``from tests.db import *``).

``db_url`` is a fresh SQLite file per test and, when ZHAOLU_TEST_DATABASE_URL is set, also the
real PostgreSQL (emptied first); ``engine`` and ``sessionmaker`` come on a database prepared by
the migrations, never by create_all. ``redis_url`` skips without ZHAOLU_TEST_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import create_engine, make_sessionmaker, prepare_database

__all__ = [
    "db_url",
    "engine",
    "postgres_url",
    "redis_prefix",
    "redis_url",
    "reset_postgres",
    "sessionmaker",
    "sqlite_url",
]

POSTGRES_URL = os.environ.get("ZHAOLU_TEST_DATABASE_URL") or None
REDIS_URL = os.environ.get("ZHAOLU_TEST_REDIS_URL") or None

_BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(POSTGRES_URL is None, reason="ZHAOLU_TEST_DATABASE_URL unset"),
    ),
]


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{(directory / 'zhaolu.db').as_posix()}"


async def reset_postgres(url: str) -> None:
    """Drop every table of the (private) test database, Alembic's bookkeeping included."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_drop_everything)
    finally:
        await engine.dispose()


def _drop_everything(connection: Connection) -> None:
    metadata = MetaData()
    metadata.reflect(connection)
    metadata.drop_all(connection)


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion from sync code, in a thread, whatever loop is current."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own, next to ZHAOLU_TEST_DATABASE_URL's.

    Several test runs may share one server (helpers working side by side); each gets its own
    database so one run's clean-up never drops another's tables. Without the right to create
    databases, the given one is used as it is.
    """
    if POSTGRES_URL is None:
        pytest.skip("ZHAOLU_TEST_DATABASE_URL unset")
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{uuid.uuid4().hex[:10]}"
    try:
        _run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    except Exception:  # e.g. no CREATEDB right: share the given database
        yield POSTGRES_URL
        return
    yield base.set(database=name).render_as_string(hide_password=False)
    _run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: SQLite in tmp_path, or the session's PostgreSQL wiped clean."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url = request.getfixturevalue("postgres_url")
    _run(reset_postgres(url))
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    await prepare_database(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
def redis_url() -> str:
    if REDIS_URL is None:
        pytest.skip("ZHAOLU_TEST_REDIS_URL unset")
    return REDIS_URL


async def _delete_prefixed(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix unique to this test; its keys are deleted afterwards (never FLUSHDB)."""
    prefix = f"zhaolu-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    _run(_delete_prefixed(redis_url, prefix))
