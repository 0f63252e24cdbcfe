"""The update's database session, committed before every Bot API request made while it is open.

Why (issue 15, "Storage under load"): a transaction left open across a Telegram round trip
(~100 ms, seconds on a bad day) holds SQLite's one write lock, or a PostgreSQL connection idle in
transaction, for that whole time; with 200 users writing at once on SQLite that made 4.3
updates/s and `database is locked` for most of them. So the per-update middleware binds its
session to the update's task (storage/fsm.py `bind_session`, which routes the FSM through it
too), and :class:`CommitBeforeRequest`, a request middleware on the bot's session, commits it
before any request leaves: no transaction, and on SQLite no write lock, is ever open while a
Bot API request is in flight.

The trade-off, against "one commit after the handler": what a handler wrote before a request
is kept even if it raises after it. That is what the user was told anyway (a reply describes
what was saved, so it must not be rolled back after it went out); writes that belong together
must be made before the handler's first request, as handlers do (write, then reply). A handler
that raises before any request still leaves nothing written.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from storage.fsm import bound


async def commit_current() -> None:
    """Commit the update's session if a transaction is open; nothing outside an update."""
    binding = bound()
    if binding is None:
        return
    async with binding.lock:
        if binding.session.in_transaction():
            await binding.session.commit()


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
