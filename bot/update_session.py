"""The update's database session, committed before every Bot API request made while it is open.

Why (issue 15, "Storage under load"): a transaction left open across a Telegram round trip
(~100 ms, seconds on a bad day) holds SQLite's one write lock, or a PostgreSQL connection idle in
transaction, for that whole time; with 200 users writing at once on SQLite that made 4.3
updates/s and `database is locked` for most of them. So the per-update middleware registers its
session here (:func:`current_session`), and :class:`CommitBeforeRequest`, a request middleware
on the bot's session, commits it before any request leaves: no transaction, and on SQLite no
write lock, is ever open while a Bot API request is in flight.

The trade-off, against "one commit after the handler": what a handler wrote before a request
is kept even if it raises after it. That is what the user was told anyway (a reply describes
what was saved, so it must not be rolled back after it went out); writes that belong together
must be made before the handler's first request, as handlers do (write, then reply). A handler
that raises before any request still leaves nothing written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from sqlmodel.ext.asyncio.session import AsyncSession


class _Open:
    """The session, and a lock: requests sent at once (gather) must not commit it together."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.lock = asyncio.Lock()


_current: ContextVar[_Open | None] = ContextVar("zhaolu_update_session", default=None)


@contextmanager
def current_session(session: AsyncSession) -> Iterator[None]:
    """Within this block (this task and the tasks it starts), `session` is the update's own."""
    token = _current.set(_Open(session))
    try:
        yield
    finally:
        _current.reset(token)


async def commit_current() -> None:
    """Commit the update's session if a transaction is open; nothing outside an update."""
    opened = _current.get()
    if opened is None:
        return
    async with opened.lock:
        if opened.session.in_transaction():
            await opened.session.commit()


class CommitBeforeRequest(BaseRequestMiddleware):
    """Commits the current update's session before each Bot API request (see the module)."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        await commit_current()
        return await make_request(bot, method)


def commit_before_requests(bot: Bot) -> None:
    """Register the middleware on `bot`'s session (every channel: Telegram, shell, tests), once:
    a restarted shell or test builds a new Bot on the same session."""
    if not any(isinstance(m, CommitBeforeRequest) for m in bot.session.middleware):
        bot.session.middleware(CommitBeforeRequest())
