"""One retry policy for every Bot API call: conversation replies, error replies, callback
answers, and the delivery ledger.

What Telegram's answer says decides (`retry_reason`):
- 429: wait `retry_after` (plus a little jitter, so workers refused together do not come back
  together), then again;
- 5xx, and network errors (no answer, a broken connection, our REQUEST_TIMEOUT): wait a
  jittered, doubling pause (`RetryPolicy.backoff`), then again;
- 403 (the user blocked the bot) and every other 4xx: never retried, the same call would fail
  the same way. Nor is an answer aiogram cannot read (ClientDecodeError): Telegram may well
  have sent the message, and a retry would send it twice.
A network error can hide a call that did reach Telegram (the answer was lost): retrying it may,
rarely, repeat a reply; losing it is worse.

Conversation calls go through `RetryMiddleware` (a request middleware of the Bot's session):
retries within `RetryPolicy.budget` seconds (no retry starts after it), then the call is given
up: one row in `undelivered_replies` (method, chat, update, error, attempts; never the text),
one WARNING line, `zhaolu_replies_undelivered_total` + 1, and the exception goes on as before.

The ledger (bot/delivery.py) keeps its own timeline: a row that failed is rescheduled by the
sender, by this same policy, across ticks and restarts. Its calls are made under
`single_attempt()`, which this middleware passes through untouched: no call is retried twice
over, nor held 30 s in the middleware while the sender's limits wait on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import metrics
from bot.delivery_results import describe
from bot.limits import Sleep
from content.masking import mask_personal_numbers
from storage.update_inbox import UndeliveredReply

log = logging.getLogger(__name__)

RATE_LIMITED, SERVER, NETWORK = metrics.RETRY_REASONS  # "429", "5xx", "network"
# getUpdates is a retry loop of its own (the poller), getMe a probe (start-up, /readyz) that
# wants Telegram's plain answer within its own timeout.
PASSED_THROUGH = frozenset({"getUpdates", "getMe"})


def retry_reason(error: BaseException) -> str | None:
    """"429", "5xx" or "network" for an answer worth trying again; None for one that is not."""
    if isinstance(error, TelegramRetryAfter):
        return RATE_LIMITED
    if isinstance(error, TelegramServerError):
        return SERVER
    if isinstance(error, TelegramNetworkError) and not isinstance(error, TelegramEntityTooLarge):
        return NETWORK  # 413 is a subclass of the network error in aiogram, but final
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """The pauses between attempts; `budget`: seconds after which no retry starts (the
    conversation's bound; the ledger counts attempts instead, see bot/delivery.py)."""

    base: float = 0.5  # the first pause after a 5xx or a network error
    cap: float = 4.0  # the longest pause before jitter: an outage ends, replies follow soon
    jitter: float = 0.5  # a backoff pause is stretched by up to this fraction, at random
    retry_after_jitter: float = 0.5  # seconds at most added to a 429's retry_after
    budget: float = 30.0

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """The pause after the `attempt`-th failure (1, 2, …): base, 2·base, 4·base … up to cap,
        stretched at random so that clients failing together spread out."""
        return min(self.cap, self.base * 2 ** (attempt - 1)) * (1 + self.jitter * rng())

    def retry_after(self, error: TelegramRetryAfter,
                    rng: Callable[[], float] = random.random) -> float:
        return error.retry_after + self.retry_after_jitter * rng()

    def pause(self, error: BaseException, attempt: int,
              rng: Callable[[], float] = random.random) -> float | None:
        """The pause before trying again, or None when the error is final."""
        reason = retry_reason(error)
        if reason is None:
            return None
        if reason == RATE_LIMITED:
            return self.retry_after(error, rng)  # type: ignore[arg-type]
        return self.backoff(attempt, rng)


CONVERSATION = RetryPolicy()
LEDGER = RetryPolicy(base=1.0, cap=60.0, jitter=0.25)

_single_attempt: ContextVar[bool] = ContextVar("zhaolu_single_attempt", default=False)


@dataclass
class _Answering:
    """The update being handled, as the calls made for it see it."""

    update_id: int | None
    user_id: int | None
    sessionmaker: async_sessionmaker[AsyncSession] | None
    undelivered: list[UndeliveredReply] = field(default_factory=list)


_update: ContextVar[_Answering | None] = ContextVar("zhaolu_update", default=None)


@contextlib.contextmanager
def single_attempt() -> Iterator[None]:
    """Calls made inside go out once: the caller (the ledger's sender) reschedules them."""
    token = _single_attempt.set(True)
    try:
        yield
    finally:
        _single_attempt.reset(token)


class UpdateContext(BaseMiddleware):
    """Tells the calls made while an update is handled which update and user they answer, and
    records those given up once the update's own transaction is over (outside
    DatabaseMiddleware): on SQLite a second writer would wait for that transaction's lock
    while the transaction waits for the handler, that is, for the writer."""

    async def __call__(self, handler: Callable[..., Any], event: Any,
                       data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        answering = _Answering(getattr(event, "update_id", None),
                               user.id if user is not None else None, data.get("sessionmaker"))
        token = _update.set(answering)
        try:
            return await handler(event, data)
        finally:
            _update.reset(token)
            if answering.undelivered:
                await _record(answering.sessionmaker, answering.undelivered)


class RetryMiddleware(BaseRequestMiddleware):
    """The policy applied to every call of one Bot (see the module's docstring)."""

    def __init__(self, policy: RetryPolicy = CONVERSATION, *, sleep: Sleep = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic,
                 rng: Callable[[], float] = random.random) -> None:
        self.policy, self._sleep, self._monotonic, self._rng = policy, sleep, monotonic, rng
        # Where calls outside any update (the scheduler's, start-up's) are recorded when given
        # up: set by `record_undelivered_to` once the database is open.
        self.sessionmaker: async_sessionmaker[AsyncSession] | None = None

    async def __call__(self, make_request: Any, bot: Any, method: Any) -> Any:
        if _single_attempt.get() or method.__api_method__ in PASSED_THROUGH:
            return await make_request(bot, method)
        started, attempt, failed = self._monotonic(), 0, None
        try:
            while True:
                attempt += 1
                try:
                    return await make_request(bot, method)
                except TelegramAPIError as error:
                    pause = self.policy.pause(error, attempt, self._rng)
                    if pause is None:
                        raise
                    if self._monotonic() + pause - started > self.policy.budget:
                        await self._give_up(method, error, attempt, started)
                        raise
                    failed = error
                    metrics.API_RETRIES.labels(retry_reason(error)).inc()
                await self._sleep(pause)
        except asyncio.CancelledError:
            # Stopped while retrying (a graceful stop that could not wait): the reply is lost
            # all the same, and must not be lost silently.
            if failed is not None:
                await self._give_up(method, failed, attempt, started, stopped=True)
            raise

    async def _give_up(self, method: Any, error: TelegramAPIError, attempts: int,
                       started: float, *, stopped: bool = False) -> None:
        answering = _update.get() or _Answering(None, None, self.sessionmaker)
        update_id = answering.update_id
        chat_id = getattr(method, "chat_id", None)
        chat = chat_id if isinstance(chat_id, int) else answering.user_id
        name = method.__api_method__
        metrics.UNDELIVERED.labels(name).inc()
        why = "stopped while retrying, after" if stopped else "given up after"
        log.warning("Bot API %s to chat %s %s %d attempt(s) in %.1f s (update %s): %s", name,
                    chat, why, attempts, self._monotonic() - started, update_id,
                    type(error).__name__)
        error_text = describe(error) + (" (stopped while retrying)" if stopped else "")
        row = UndeliveredReply(method=name, chat_id=chat, update_id=update_id,
                               error=mask_personal_numbers(error_text)[:200],
                               attempts=attempts)
        answering.undelivered.append(row)
        if _update.get() is None:  # outside an update: nothing else holds the database
            await _record(answering.sessionmaker, answering.undelivered)


async def _record(sessionmaker: async_sessionmaker[AsyncSession] | None,
                  rows: list[UndeliveredReply]) -> None:
    """In a short transaction of their own: the handler's is rolled back by the very error."""
    if sessionmaker is None:  # a Bot used before the database was open
        log.warning("%d undelivered call(s) not recorded: no database", len(rows))
        return
    try:
        async with sessionmaker() as session, session.begin():
            session.add_all(rows)
    except Exception as error:  # noqa: BLE001 - the call's own error is the one that matters
        log.warning("could not record %d undelivered call(s) (%s)", len(rows),
                    type(error).__name__)


def retry_middleware(bot: Any) -> RetryMiddleware | None:
    """The Bot's RetryMiddleware (build_bot registers one), if any."""
    return next((m for m in bot.session.middleware if isinstance(m, RetryMiddleware)), None)


def install_retry(session: Any, middleware: RetryMiddleware, *, replace: bool) -> None:
    """One RetryMiddleware per session, never two (a retry of retries): a session given to a
    second Bot (a test's restart) keeps the one it has unless `replace`."""
    present = [m for m in session.middleware if isinstance(m, RetryMiddleware)]
    if present and not replace:
        return
    for old in present:
        session.middleware.unregister(old)
    session.middleware(middleware)


def record_undelivered_to(bot: Any, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Calls of this Bot made outside an update (scheduler, start-up) are recorded here too."""
    middleware = retry_middleware(bot)
    if middleware is not None:
        middleware.sessionmaker = sessionmaker
