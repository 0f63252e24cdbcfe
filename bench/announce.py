"""An announcement to 10,000 recipients by copyMessage, through the same loopback Bot API and the
same sender as the reminders (bench/delivery.py): straight; the sender cancelled half-way and a
new one started; a crash with calls in flight; and staff stopping it half-way (how many copies
still go out after the stop: the bound is the calls in flight).
Targets: delivered rate >= 95% of the cap, duplicates 0, lost 0; after a stop, at most the
calls in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from bench.delivery import (
    CAP,
    CRASH_RECIPIENTS,
    ERROR_RATE,
    IN_FLIGHT,
    RECIPIENTS,
    SEND_RATE,
    _enqueue,
    _prepare,
    _print,
    _run,
    _sender,
    _stats,
)
from bench.delivery import main as serve_and_run


async def _stopped(base: str, sessionmaker: Any) -> None:
    """Staff press 停止 when half has gone: the ledger is told, and the running sender at once."""
    from bot.delivery import stop_in_process
    from storage.delivery import cancel, status_counts

    await _stats(base, reset=True)
    key = "announce-stop"
    await _enqueue(sessionmaker, key, RECIPIENTS, copy=True)
    sender = _sender(base, sessionmaker)
    task = asyncio.create_task(sender.drain())
    while sender.report.sent < RECIPIENTS // 2:
        await asyncio.sleep(0.02)
    stop_in_process(key)  # as the stop button does: the running sender first, then the ledger
    at_stop = sender.report.sent
    async with sessionmaker() as session, session.begin():
        await cancel(session, key=key, now=datetime.now(UTC))
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await sender.bot.session.close()
    stats = await _stats(base)
    delivered = sum(stats["delivered"].values())
    async with sessionmaker() as session:
        counts = await status_counts(session, key=key)
    print(f"stopped by staff at {at_stop} sent: {delivered - at_stop} more copies after the stop "
          f"(bound: the {IN_FLIGHT} in flight), ledger {counts}")


async def _runs(base: str, url: str, ledger: str) -> None:
    from storage.engine import make_sessionmaker

    engine = await _prepare(url)
    sessionmaker = make_sessionmaker(engine)
    try:
        print(f"announcement by copyMessage: cap {CAP}/s per sliding second, sender rate "
              f"{SEND_RATE}/s + burst 2, {IN_FLIGHT} in flight, {ERROR_RATE:.1%} 5xx retried, "
              f"{ledger} ledger")
        _print("announce straight", await _run(base, sessionmaker, "announce", RECIPIENTS, None,
                                               copy=True), rate=True)
        _print("announce cancel+restart", await _run(base, sessionmaker, "announce-restart",
                                                     RECIPIENTS, RECIPIENTS // 2, copy=True),
               rate=True)
        crash = await _run(base, sessionmaker, "announce-crash", CRASH_RECIPIENTS,
                           CRASH_RECIPIENTS // 2, crash=True, copy=True)
        print(f"announce crash+restart: {crash['count']} recipients, duplicates "
              f"{crash['duplicates']} (bound: the {IN_FLIGHT} in flight), lost {crash['lost']} "
              f"(target 0), recovered {crash['second'].recovered} claimed rows")
        await _stopped(base, sessionmaker)
    finally:
        await engine.dispose()


def main() -> None:
    serve_and_run(_runs)


if __name__ == "__main__":
    main()
