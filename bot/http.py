"""The worker's HTTP server (ZHAOLU_HTTP_PORT): /healthz, /readyz, /metrics, the webhook and
WeChat's callbacks (/wechat).

/healthz says the process is alive (the event loop answers). /readyz asks the database, Redis,
the Bot API (with a bot token) and WeChat (the shared access token is at hand: read from the
database, fetched only when it is missing or expiring, never once per probe), each within
CHECK_TIMEOUT, and names who holds the scheduler's lock: 200 when
all answer, else 503 naming the part that failed (and 503 while stopping, so a load balancer
stops sending here before the process goes). /metrics is bot/metrics.py's Prometheus text (this
worker's counters, the shared ledger's rows).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.fsm.storage.base import BaseStorage
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.update_inbox import CHANNEL, UpdateInbox, worker_name
from storage.scheduler_state import SchedulerTick, last_tick
from storage.update_inbox import unhandled_count

if TYPE_CHECKING:
    from bot.app import Services
    from bot.webhook import WebhookReceiver
    from bot.wechat.api import WeChatApi

CHECK_TIMEOUT = 2.0
RECENT_TICKS = 3  # a tick this many intervals ago still names its worker as the scheduler


@dataclass
class Health:
    """What /readyz asks; `stopping` is set when the worker begins to stop."""

    services: Services
    bot: Bot
    storage: BaseStorage
    scheduler_here: bool
    inbox: UpdateInbox | None = None
    stopping: bool = False
    telegram: bool = True
    wechat: WeChatApi | None = None

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, Callable[[], Awaitable[Any]]] = {"database": self._database}
        if self.telegram:
            checks["bot_api"] = self._bot_api
        if self.wechat is not None:
            checks["wechat_api"] = self.wechat.token
        redis = getattr(self.storage, "redis", None)
        if redis is not None:
            checks["redis"] = redis.ping
        results = await asyncio.gather(*(_within(check()) for check in checks.values()))
        parts = dict(zip(checks, results, strict=True))
        failing = [name for name, result in parts.items() if result != "ok"]
        if self.stopping:
            failing.insert(0, "stopping")
        return not failing, {
            "ready": not failing, "failing": failing, "worker": worker_name(), **parts,
            "scheduler": await self._scheduler(), "inbox": await self._inbox()}

    async def _inbox(self) -> dict[str, Any]:
        """Updates waiting: in this worker's memory, and unhandled in the shared inbox."""
        found: dict[str, Any] = {}
        if self.inbox is not None:
            found = {"here": self.inbox.backlog, "handled_here": self.inbox.handled}
        try:
            async with self.services.sessionmaker() as session:
                found["unhandled"] = await asyncio.wait_for(
                    unhandled_count(session, channel=CHANNEL), CHECK_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - the database part says what is wrong
            found["unhandled"] = f"unknown ({type(error).__name__})"
        return found

    async def _database(self) -> None:
        async with self.services.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _bot_api(self) -> None:
        await self.bot.get_me(request_timeout=int(CHECK_TIMEOUT))

    async def _scheduler(self) -> dict[str, Any]:
        """Whether this worker runs a scheduler; who schedules: the tick lock's holder, or
        between ticks (PostgreSQL holds the lock only during one) the worker whose tick ran
        within the last RECENT_TICKS intervals; and the last tick (worker and time)."""
        try:
            holder, last = await asyncio.wait_for(self._holder_and_last(), CHECK_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - the database part says what is wrong
            return {"here": self.scheduler_here, "holder": f"unknown ({type(error).__name__})",
                    "last_tick": None}
        last_tick = None
        if last is not None:
            at = last.ticked_at
            if holder is None and self.services.clock.now() - at <= _recent():
                holder = last.worker
            last_tick = {"worker": last.worker, "at": at.isoformat()}
        return {"here": self.scheduler_here, "holder": holder, "last_tick": last_tick}

    async def _holder_and_last(self) -> tuple[str | None, SchedulerTick | None]:
        holder = await tick_lock_holder(self.services.engine)
        async with self.services.sessionmaker() as session:
            return holder, await last_tick(session)


def _recent() -> timedelta:
    from bot.scheduler import TICK_SECONDS

    return timedelta(seconds=RECENT_TICKS * TICK_SECONDS)


async def tick_lock_holder(engine: AsyncEngine) -> str | None:
    """Who schedules. On PostgreSQL, the connection holding the tick's advisory lock
    (bot/scheduler.py): its application_name, "zhaolu host:pid" (bot/app.py); None while no
    tick runs. On a SQLite file, the process holding the file lock (bot/scheduler_lock.py)."""
    if engine.dialect.name != "postgresql":
        return _file_lock_holder(engine)
    from bot.scheduler import TICK_LOCK_ID

    async with engine.connect() as connection:
        found = (await connection.execute(_HOLDER, {
            "hi": TICK_LOCK_ID >> 32, "lo": TICK_LOCK_ID & 0xFFFFFFFF})).first()
    if found is None:
        return None
    name, pid = found
    return name or f"PostgreSQL backend {pid}"


def _file_lock_holder(engine: AsyncEngine) -> str | None:
    from bot.scheduler_lock import SchedulerFileLock

    lock = SchedulerFileLock.beside(engine)
    if lock is None:
        return None
    if lock.acquire():  # free: nobody schedules (given back at once)
        lock.release()
        return None
    pid = lock.holder()
    return worker_name() if pid == str(os.getpid()) else f"pid {pid} on this host"


_HOLDER = text(
    "SELECT a.application_name, l.pid FROM pg_locks l LEFT JOIN pg_stat_activity a "
    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi "
    "AND l.objid = :lo AND l.objsubid = 1")


async def _within(check: Awaitable[Any]) -> str:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:g} s"
    except Exception as error:  # noqa: BLE001 - any failure is "not ready", named
        return f"failed: {type(error).__name__}: {' '.join(str(error).split())[:200]}"
    return "ok"


def build_app(health: Health, webhook: WebhookReceiver | None, webhook_path: str,
              extra: Iterable[web.RouteDef] = ()) -> web.Application:
    """`extra`: more routes (WeChat's callbacks)."""
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"alive": True, "worker": worker_name()})

    async def readyz(_: web.Request) -> web.Response:
        ready, body = await health.readiness()
        return web.json_response(body, status=200 if ready else 503,
                                 dumps=lambda v: json.dumps(v, ensure_ascii=False))

    async def metrics(_: web.Request) -> web.Response:
        from bot.metrics import CONTENT_TYPE, render

        body = await render(health.services.sessionmaker)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    if webhook is not None:
        app.router.add_post(webhook_path, webhook.handle)
    app.router.add_routes(extra)
    return app


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
