"""What the sender keeps of each attempt: its report, and the group commit of results.

Results that come in while the last batch is being written are written together in one
transaction (storage.delivery_results.record_many); each attempt waits until its own result is
committed before its slot is free again (see bot/delivery.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiogram.exceptions import TelegramAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.delivery_results import Result, record_many

Db = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0  # 5xx and network errors retried
    rate_limited: int = 0  # 429 answers
    recovered: int = 0  # rows a crashed sender had claimed, queued again
    skipped_blocked: int = 0  # planned for users who blocked the bot since
    deferred: int = 0  # rows left pending because the drain's `until` came (quiet hours)
    cancelled: int = 0  # claimed rows of a message staff stopped, dropped unsent
    waiting: int = 0  # WeChat users whose reply window was closed: shown at their next message

    def __str__(self) -> str:
        return " ".join(f"{k}={v}" for k, v in vars(self).items() if v) or "nothing to send"


@dataclass
class Route:
    """One ledger row's call, as its channel's session sees it: the campaign (WeChat looks up
    its subscription template), the name of its file (shown with WeChat's link), and how the
    message went (set by the session; None: the Bot API)."""

    campaign_slug: str | None = None
    file_name: str | None = None
    outcome: str | None = None


ROUTE: contextvars.ContextVar[Route | None] = contextvars.ContextVar("ledger_route",
                                                                     default=None)


@contextlib.contextmanager
def ledger_call(route: Route) -> Iterator[Route]:
    """The calls inside are a ledger row's: a channel that cannot deliver now says so
    (WindowClosed) instead of keeping the message itself."""
    token = ROUTE.set(route)
    try:
        yield route
    finally:
        ROUTE.reset(token)


class WindowClosed(TelegramAPIError):
    """WeChat: the user's reply window is closed (or its messages are used up) and no
    subscription message could carry it: the row waits for the user's next message."""


class GroupCommit:
    """Queue results; one writer task writes whatever is queued, batch after batch."""

    def __init__(self, db: Db) -> None:
        self._db = db
        self._pending: list[tuple[Result, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, result: Result) -> None:
        done = asyncio.get_running_loop().create_future()
        self._pending.append((result, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await asyncio.shield(done)

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._db(lambda session, batch=batch: record_many(
                    session, results=[result for result, _ in batch]))
            except Exception as exc:  # noqa: BLE001 - handed to every waiting call
                for _, done in batch:
                    done.set_exception(exc)
                continue
            for _, done in batch:
                done.set_result(None)


def describe(exc: TelegramAPIError) -> str:
    return f"{type(exc).__name__}: {exc.message}"
