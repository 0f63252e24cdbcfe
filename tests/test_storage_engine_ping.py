"""PostgreSQL connections are pinged when they were idle a while, not at every checkout
(storage/engine.py `ping_when_idle`): a connection the server dropped while it sat in the pool
is replaced before a statement runs on it, and a busy pool pays no round trips for it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text

from storage import engine as engines


async def _backend_pid(engine: engines.AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_an_idle_connection_dropped_by_the_server_is_replaced_before_use(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "PING_IDLE_SECONDS", 0.2)
    engine = engines.create_engine(postgres_url, pool_size=1, max_overflow=0)
    admin = engines.create_engine(postgres_url)
    try:
        dropped = await _backend_pid(engine)
        async with admin.connect() as connection:  # a server restart, for this one connection
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        await asyncio.sleep(0.4)  # idle longer than the threshold: pinged at the next checkout
        assert await _backend_pid(engine) != dropped  # ran, on a new connection
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_connection_used_moments_ago_is_not_pinged(postgres_url: str) -> None:
    engine = engines.create_engine(postgres_url, pool_size=1, max_overflow=0)
    pings: list[object] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    checkouts: list[object] = []
    event.listen(engine.sync_engine, "checkout", lambda *args: checkouts.append(args))
    try:
        for _ in range(20):
            await _backend_pid(engine)
        assert len(checkouts) == 20
        assert pings == []
    finally:
        await engine.dispose()
