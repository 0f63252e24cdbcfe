"""The sender against a loopback Bot API server that enforces a per-second cap.

The server (its own process, 127.0.0.1 only) answers `sendMessage`: 429 with retry_after when
more than CAP requests arrived in the last second, 500 for a share of the others (ERROR_RATE),
else delivered. The real aiogram session talks to it through `TelegramAPIServer.from_base`.
Runs: 10,000 recipients straight through; 10,000 with the sender cancelled half-way and a new
one started (as `zhaolu run` would after a restart); a sender set to twice the cap, to see 429s
honoured; and a crash (the calls in flight killed too) on a smaller audience, where at most the
in-flight messages may repeat.
Targets: delivered rate >= 95% of the cap, duplicates 0, lost 0.
The ledger is a SQLite file; with ZHAOLU_BENCH_DATABASE_URL (a PostgreSQL database the bench may
empty) every run is repeated on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import random
import tempfile
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CAP = 250  # requests/s the server accepts in any 1-second window
SEND_RATE = CAP - 4  # the sender's bucket: rate + burst (2) + a request of jitter <= CAP
ERROR_RATE = 0.005
RECIPIENTS = 10_000
CRASH_RECIPIENTS = 2_000
OVERDRIVEN = 1_000
IN_FLIGHT = 8
BACKOFF = 0.2  # seconds before the first retry of a 5xx (doubling); the default is 1 s
TARGET = 0.95


def _serve(port: Any, cap: int, error_rate: float) -> None:  # runs in the server process
    from aiohttp import web

    state: dict[str, Any] = {}
    window: deque[float] = deque()
    rng = random.Random(6)

    def reset() -> None:
        state.update(delivered={}, rate_limited=0, errors=0, first=None, last=None, ids=0)

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method not in ("sendMessage", "copyMessage"):
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": "Not Found: method"}, status=404)
        # zhaolu sends JSON bodies (bot/json_session.py); a form is read too.
        form = (await request.json() if request.content_type == "application/json"
                else await request.post())
        now = time.monotonic()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= cap:
            state["rate_limited"] += 1
            return web.json_response({"ok": False, "error_code": 429, "description":
                                      "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
        window.append(now)
        if rng.random() < error_rate:
            state["errors"] += 1
            return web.json_response({"ok": False, "error_code": 500,
                                      "description": "Internal Server Error"}, status=500)
        chat = int(form["chat_id"])
        state["delivered"][chat] = state["delivered"].get(chat, 0) + 1
        state["first"] = state["first"] or now
        state["last"] = now
        state["ids"] += 1
        if method == "copyMessage":  # Telegram answers a copy with its MessageId only
            return web.json_response({"ok": True, "result": {"message_id": state["ids"]}})
        return web.json_response({"ok": True, "result": {
            "message_id": state["ids"], "date": int(time.time()), "text": form["text"],
            "chat": {"id": chat, "type": "private"}}})

    async def stats(request: web.Request) -> web.Response:
        payload = dict(state)
        if request.method == "POST":
            reset()
        return web.json_response(payload)

    async def main() -> None:
        reset()
        app = web.Application(client_max_size=64 * 1024)  # bounded: small bodies only
        app.router.add_post("/bot{token}/{method}", api)
        app.router.add_route("*", "/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port.put(runner.addresses[0][1])
        await asyncio.sleep(600)  # bounded: the server never outlives a forgotten bench

    asyncio.run(main())


async def _stats(base: str, *, reset: bool = False) -> dict[str, Any]:
    import aiohttp

    url = f"{base}/stats"
    async with aiohttp.ClientSession() as http, http.request(
            "POST" if reset else "GET", url) as response:
        return await response.json()


async def _prepare(url: str) -> Any:
    from sqlalchemy import insert

    from storage.engine import create_engine, make_sessionmaker, prepare_database
    from storage.models import User

    engine = create_engine(url)
    if engine.dialect.name == "postgresql":  # a database of its own: start empty
        async with engine.begin() as connection:
            await connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            await connection.exec_driver_sql("CREATE SCHEMA public")
    await prepare_database(engine)
    now = datetime.now(UTC)
    async with make_sessionmaker(engine)() as session, session.begin():
        users = [{"id": uid, "first_name": "u", "first_seen": now, "last_seen": now}
                 for uid in range(1, RECIPIENTS + 1)]
        for start in range(0, len(users), 1000):
            await session.exec(insert(User).values(users[start:start + 1000]))
    return engine


async def _enqueue(sessionmaker: Any, key: str, count: int, copy: bool = False) -> None:
    from storage.delivery import enqueue

    async with sessionmaker() as session, session.begin():
        await enqueue(session, key=key, kind="broadcast", text=f"<b>{key}</b> 基准测试消息",
                      recipients=range(1, count + 1), now=datetime.now(UTC),
                      copy_from=(999, 1) if copy else None)


def _sender(base: str, sessionmaker: Any, rate: float = SEND_RATE) -> Any:
    from dataclasses import replace

    from bot.api_retry import LEDGER
    from bot.app import build_bot
    from bot.delivery import Sender
    from bot.settings import Settings

    # The Bot as `zhaolu run` builds it, its retry middleware included: the sender's calls must
    # pass through it once each.
    bot = build_bot(Settings(bot_token="42:bench", telegram_api_url=base))
    return Sender(bot, sessionmaker, rate=rate, max_in_flight=IN_FLIGHT,
                  policy=replace(LEDGER, base=BACKOFF))


async def _run(base: str, sessionmaker: Any, key: str, count: int, stop_at: int | None,
               crash: bool = False, rate: float = SEND_RATE,
               copy: bool = False) -> dict[str, Any]:
    await _stats(base, reset=True)
    await _enqueue(sessionmaker, key, count, copy)
    first = _sender(base, sessionmaker, rate)
    task = asyncio.create_task(first.drain())
    if stop_at is not None:
        # Watched in-process: polling the server would itself slow the run being measured.
        while first.report.sent < stop_at:
            await asyncio.sleep(0.02)
        if crash:  # the calls in flight die with the process: none of them records its result
            # A killed call's connection clean-up complains; a dead process would say nothing.
            logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
            for in_flight in list(first.in_flight):
                in_flight.cancel()
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    second = _sender(base, sessionmaker)  # the restarted process
    if stop_at is not None:
        await second.drain()
    for sender in (first, second):
        await sender.bot.session.close()
    stats = await _stats(base)
    delivered = {int(k): v for k, v in stats["delivered"].items()}
    return {"delivered": sum(delivered.values()), "count": count, "stats": stats,
            "duplicates": sum(v - 1 for v in delivered.values() if v > 1),
            "lost": sum(1 for uid in range(1, count + 1) if uid not in delivered),
            "in_flight": IN_FLIGHT, "report": first.report, "second": second.report}


def _print(name: str, result: dict[str, Any], *, rate: bool) -> None:
    stats = result["stats"]
    print(f"{name}: {result['count']} recipients, {result['delivered']} delivered, "
          f"429s {stats['rate_limited']}, 5xx {stats['errors']} (retried)")
    if rate:
        seconds = stats["last"] - stats["first"]
        per_second = (result["delivered"] - 1) / seconds
        ok = "ok" if per_second >= TARGET * CAP else "BELOW TARGET"
        print(f"{name}: delivered rate {per_second:.1f} msg/s = {per_second / CAP:.1%} of the "
              f"{CAP}/s cap (target >= {TARGET:.0%}) {ok}")
    print(f"{name}: duplicates {result['duplicates']} (target 0), lost {result['lost']} "
          f"(target 0)")


async def _bench(base: str, runs: Any = None) -> None:
    runs = runs or _bench_on
    with tempfile.TemporaryDirectory() as tmp:
        await runs(base, f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", "SQLite")
    if url := os.environ.get("ZHAOLU_BENCH_DATABASE_URL"):
        await runs(base, url, "PostgreSQL")


async def _bench_on(base: str, url: str, ledger: str) -> None:
    from storage.engine import make_sessionmaker

    engine = await _prepare(url)
    sessionmaker = make_sessionmaker(engine)
    try:
        print(f"cap {CAP}/s per sliding second, sender rate {SEND_RATE}/s + burst 2, "
              f"{IN_FLIGHT} in flight, {ERROR_RATE:.1%} 5xx retried after {BACKOFF} s, "
              f"{ledger} ledger")
        _print("straight", await _run(base, sessionmaker, "straight", RECIPIENTS, None),
               rate=True)
        _print("cancel+restart", await _run(base, sessionmaker, "restart", RECIPIENTS,
                                            RECIPIENTS // 2), rate=True)
        over = await _run(base, sessionmaker, "overdriven", OVERDRIVEN, None, rate=2 * CAP)
        print(f"overdriven (sender at {2 * CAP}/s): {over['count']} recipients, 429s "
              f"{over['stats']['rate_limited']} each pausing all sends, duplicates "
              f"{over['duplicates']} (target 0), lost {over['lost']} (target 0)")
        crash = await _run(base, sessionmaker, "crash", CRASH_RECIPIENTS,
                           CRASH_RECIPIENTS // 2, crash=True)
        print(f"crash+restart: {crash['count']} recipients, duplicates {crash['duplicates']} "
              f"(bound: the {IN_FLIGHT} in flight), lost {crash['lost']} (target 0), "
              f"recovered {crash['second'].recovered} claimed rows")
    finally:
        await engine.dispose()


def main(runs: Any = None) -> None:
    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(ports, CAP, ERROR_RATE), daemon=True)
    server.start()
    try:
        base = f"http://127.0.0.1:{ports.get(timeout=30)}"
        started = time.monotonic()
        asyncio.run(_bench(base, runs))
        print(f"bench time {time.monotonic() - started:.0f} s")
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
