"""Prometheus metrics of one worker process, and the exposition text that GET /metrics serves.

Counters and the histogram count what this process did: Prometheus scrapes every worker and
sums them. The delivery ledger's rows are read from the shared database when scraped, so every
worker shows the same true figures, whichever of them runs the sender. The registry is our own,
not prometheus-client's global one: only these metrics are served, and importing this module
twice (tests) cannot register a name twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
LEDGER_TIMEOUT = 5.0  # a scrape must not hang on a stuck database
OUTCOMES = ("handled", "unhandled", "error", "cancelled")
RETRY_REASONS = ("429", "5xx", "network")

REGISTRY = CollectorRegistry()
UPDATES = Counter("zhaolu_updates_handled", "Updates through the dispatcher, by outcome "
                  "(handled; unhandled: no handler wanted it; error: a handler raised).",
                  ["outcome"], registry=REGISTRY)
HANDLER_SECONDS = Histogram("zhaolu_handler_seconds", "Time from an update entering the "
                            "dispatcher to its handler returning, Bot API calls included.",
                            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
                            registry=REGISTRY)
UNDELIVERED = Counter("zhaolu_replies_undelivered", "Bot API calls given up after the retry "
                      "policy (each also a row in undelivered_replies), by method.",
                      ["method"], registry=REGISTRY)
API_RETRIES = Counter("zhaolu_bot_api_retries", "Bot API calls retried, by reason (429: "
                      "Telegram's flood limit; 5xx; network: no or broken answer).",
                      ["reason"], registry=REGISTRY)
LEDGER_ROWS = Gauge("zhaolu_ledger_rows", "Rows of the delivery ledger by message kind and "
                    "status, read from the database at scrape time.", ["kind", "status"],
                    registry=REGISTRY)
LEDGER_READ = Gauge("zhaolu_ledger_read_ok", "1 when the last scrape could read the ledger "
                    "(zhaolu_ledger_rows is current), else 0.", registry=REGISTRY)

for _outcome in OUTCOMES:  # every series present from the start, so rate() sees its first step
    UPDATES.labels(_outcome)
for _reason in RETRY_REASONS:
    API_RETRIES.labels(_reason)


class UpdateMetricsMiddleware(BaseMiddleware):
    """Counts every update by outcome and times it; outermost of ours, so the database session
    and the user's lock are inside the time measured."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        else:
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            HANDLER_SECONDS.observe(time.perf_counter() - started)
            UPDATES.labels(outcome).inc()


async def refresh_ledger(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Set zhaolu_ledger_rows from the database: every (kind, status) of storage.delivery,
    0 where there is no row, so a status that empties shows 0 rather than its last count."""
    from storage import delivery as ledger

    async def read() -> dict[tuple[str, str], int]:
        async with sessionmaker() as session:
            return await ledger.counts_by_kind(session)

    try:
        counts = await asyncio.wait_for(read(), LEDGER_TIMEOUT)
    except Exception as error:  # noqa: BLE001 - the rest of the metrics are still worth serving
        log.warning("metrics: the delivery ledger could not be read (%s)", type(error).__name__)
        LEDGER_READ.set(0)
        return
    kinds = {*ledger.KINDS, *(kind for kind, _ in counts)}
    for kind in kinds:
        for status in (ledger.PENDING, ledger.SENDING, *ledger.FINAL):
            LEDGER_ROWS.labels(kind, status).set(counts.get((kind, status), 0))
    LEDGER_READ.set(1)


async def render(sessionmaker: async_sessionmaker[AsyncSession] | None = None) -> bytes:
    """The exposition text (Prometheus text format, served as CONTENT_TYPE); with a
    sessionmaker, the ledger's rows are read first."""
    if sessionmaker is not None:
        await refresh_ledger(sessionmaker)
    return generate_latest(REGISTRY)
