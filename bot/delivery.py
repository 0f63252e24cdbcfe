"""The sender: drains the delivery ledger (storage.delivery) under Telegram's limits.

- a global token bucket (`rate` messages/s, `burst` in hand): in any second at most
  rate + burst requests, so a server enforcing a per-second cap sees no more;
- at most one message per second per chat (https://core.telegram.org/bots/faq, "broadcasting");
- 429: `retry_after` pauses ALL sends, not only the chat's (the limit is the bot's), and the
  message is retried;
- 5xx and network errors: retried with exponential backoff, up to `max_attempts`;
- 403: the user blocked the bot: the row is `blocked` and the user marked, no more sends to them;
- other 4xx: `failed`, retrying cannot help.
Each result is written in its own transaction right after its API call. Rows are claimed first
(`sending`); a crash leaves the in-flight ones claimed and the next drain sends them again, so a
crash repeats at most the `max_in_flight` messages in flight and loses none. A cancelled drain
stops claiming, lets the calls in flight finish and record, and gives the rest back.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from weakref import WeakKeyDictionary

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import SHANGHAI
from storage import delivery as ledger
from storage.users import mark_blocked

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
_locks: WeakKeyDictionary[object, asyncio.Lock] = WeakKeyDictionary()


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; `pause` stops everyone for a while."""

    def __init__(self, rate: float, burst: float, *, monotonic: Callable[[], float],
                 sleep: Sleep) -> None:
        self.rate, self.burst = rate, max(burst, 1.0)
        self._monotonic, self._sleep = monotonic, sleep
        self._tokens, self._last, self.paused_until = 1.0, monotonic(), 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self._monotonic() + seconds)
        self._tokens = 0.0  # no burst right after a 429: start again at the steady rate

    async def acquire(self) -> None:
        while True:
            now = self._monotonic()
            if now < self.paused_until:
                await self._sleep(self.paused_until - now)
                continue
            elapsed = max(0.0, now - max(self._last, self.paused_until))
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
            self._last = now
            if self._tokens >= 1.0 - 1e-9:  # float sums of fractions fall just short of 1
                self._tokens = max(0.0, self._tokens - 1.0)
                return
            await self._sleep((1.0 - self._tokens) / self.rate)


class ChatPacer:
    """At most one message per `interval` seconds to each chat.

    A chat's turn is held from the wait through the send, so its messages go in order, one at a
    time, and a pause of the global bucket (429) can never bunch two of them together.
    """

    def __init__(self, interval: float, *, monotonic: Callable[[], float], sleep: Sleep) -> None:
        self.interval = interval
        self._monotonic, self._sleep = monotonic, sleep
        self._last: dict[int, float] = {}
        self._turns: dict[int, asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._turns.setdefault(chat_id, asyncio.Lock())
        async with lock:
            last = self._last.get(chat_id)
            if last is not None and (wait := last + self.interval - self._monotonic()) > 0:
                await self._sleep(wait)
            yield
        if not lock.locked():
            self._turns.pop(chat_id, None)

    def sending(self, chat_id: int) -> None:
        """Call right before the API call: the chat's next turn counts from now."""
        now = self._monotonic()
        if len(self._last) > 50_000:
            self._last = {c: t for c, t in self._last.items() if t + self.interval > now}
        self._last[chat_id] = now


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0  # 5xx and network errors retried
    rate_limited: int = 0  # 429 answers
    recovered: int = 0  # rows a crashed sender had claimed, queued again
    skipped_blocked: int = 0  # planned for users who blocked the bot since

    def __str__(self) -> str:
        return " ".join(f"{k}={v}" for k, v in vars(self).items() if v) or "nothing to send"


class Sender:
    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], *,
                 rate: float = 25.0, burst: float = 2.0, per_chat_interval: float = 1.0,
                 max_in_flight: int = 4, batch: int = 100, max_attempts: int = 5,
                 backoff: float = 1.0, max_backoff: float = 60.0,
                 now: Callable[[], datetime] = lambda: datetime.now(SHANGHAI),
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.bot, self.sessionmaker = bot, sessionmaker
        self.max_in_flight, self.batch, self.max_attempts = max_in_flight, batch, max_attempts
        self.backoff, self.max_backoff = backoff, max_backoff
        self._now, self._monotonic, self._sleep = now, monotonic, sleep
        self.bucket = TokenBucket(rate, burst, monotonic=monotonic, sleep=sleep)
        self.pacer = ChatPacer(per_chat_interval, monotonic=monotonic, sleep=sleep)
        self.in_flight: set[asyncio.Task[None]] = set()
        self._queue: deque[ledger.Claimed] = deque()
        self._retry: list[tuple[float, int, ledger.Claimed]] = []
        self._seq = itertools.count()
        self._texts: dict[str, tuple[str, InlineKeyboardMarkup | None]] = {}
        self._blocked_chats: set[int] = set()
        self.report = SendReport()

    async def drain(self) -> SendReport:
        """Send everything pending now; return when nothing is left to try."""
        lock = _locks.setdefault(self.sessionmaker, asyncio.Lock())
        async with lock:
            async with self.sessionmaker() as session, session.begin():
                self.report.recovered += await ledger.recover(session)
                self.report.skipped_blocked += await ledger.skip_blocked(session)
            try:
                await self._loop()
            finally:
                await self._stop()
        return self.report

    async def _loop(self) -> None:
        exhausted = False
        while True:
            self._promote_retries()
            if not exhausted and len(self._queue) < self.max_in_flight:
                exhausted = not await self._claim()
            while self._queue and len(self.in_flight) < self.max_in_flight:
                task = asyncio.create_task(self._deliver(self._queue.popleft()))
                self.in_flight.add(task)
            if self.in_flight:
                timeout = self._retry[0][0] - self._monotonic() if self._retry else None
                done, _ = await asyncio.wait(self.in_flight, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    self.in_flight.discard(task)
                    task.result()  # a bug (not a Telegram answer) stops the drain loudly
            elif self._retry:
                await self._sleep(max(0.0, self._retry[0][0] - self._monotonic()))
            elif not self._queue and exhausted:
                return

    async def _stop(self) -> None:
        """Let calls in flight finish and record; give back what was claimed but not tried."""
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)
            self.in_flight.clear()
        unsent = [c.id for c in self._queue] + [c.id for _, _, c in self._retry]
        self._queue.clear()
        self._retry.clear()
        if unsent:
            async with self.sessionmaker() as session, session.begin():
                await ledger.release(session, ids=unsent)

    def _promote_retries(self) -> None:
        now = self._monotonic()
        while self._retry and self._retry[0][0] <= now:
            self._queue.append(heapq.heappop(self._retry)[2])

    async def _claim(self) -> bool:
        async with self.sessionmaker() as session, session.begin():
            rows = await ledger.claim(session, limit=self.batch, now=self._now())
            missing = {r.message_key for r in rows} - set(self._texts)
            for key, (text, markup) in (await ledger.texts_for(session, keys=missing)).items():
                parsed = InlineKeyboardMarkup.model_validate_json(markup) if markup else None
                self._texts[key] = (text, parsed)
        self._queue.extend(rows)
        return bool(rows)

    async def _deliver(self, item: ledger.Claimed) -> None:
        if item.user_id in self._blocked_chats:
            self.report.skipped_blocked += 1
            await self._record(item, ledger.BLOCKED, "user blocked the bot before sending")
            return
        text, markup = self._texts[item.message_key]
        try:
            async with self.pacer.turn(item.user_id):
                await self.bucket.acquire()
                self.pacer.sending(item.user_id)
                sent = await self.bot.send_message(chat_id=item.user_id, text=text,
                                                   reply_markup=markup)
        except TelegramRetryAfter as exc:
            self.bucket.pause(exc.retry_after)
            self.report.rate_limited += 1
            await self._record(item, ledger.SENDING, f"429: retry after {exc.retry_after}s")
            self._queue.appendleft(item)
        except TelegramForbiddenError as exc:
            await self._blocked(item, exc)
        except TelegramEntityTooLarge as exc:
            await self._fail(item, exc)
        except (TelegramServerError, TelegramNetworkError) as exc:
            await self._retry_later(item, exc)
        except TelegramAPIError as exc:  # 400, 404 …: the same request would fail again
            await self._fail(item, exc)
        else:
            self.report.sent += 1
            await self._record(item, ledger.SENT, None, sent.message_id)

    async def _retry_later(self, item: ledger.Claimed, exc: TelegramAPIError) -> None:
        failures = item.failures + 1
        if failures >= self.max_attempts:
            await self._fail(item, exc)
            return
        self.report.retried += 1
        await self._record(item, ledger.SENDING, _describe(exc))
        delay = min(self.max_backoff, self.backoff * 2 ** (failures - 1))
        heapq.heappush(self._retry, (self._monotonic() + delay, next(self._seq),
                                     replace(item, failures=failures)))

    async def _fail(self, item: ledger.Claimed, exc: TelegramAPIError) -> None:
        log.warning("delivery %s to %s failed: %s", item.message_key, item.user_id, _describe(exc))
        self.report.failed += 1
        await self._record(item, ledger.FAILED, _describe(exc))

    async def _blocked(self, item: ledger.Claimed, exc: TelegramAPIError) -> None:
        self.report.blocked += 1
        self._blocked_chats.add(item.user_id)
        async with self.sessionmaker() as session, session.begin():
            await ledger.record(session, delivery_id=item.id, status=ledger.BLOCKED,
                                now=self._now(), error=_describe(exc))
            await mark_blocked(session, user_id=item.user_id, now=self._now())

    async def _record(self, item: ledger.Claimed, status: str, error: str | None,
                      message_id: int | None = None) -> None:
        async with self.sessionmaker() as session, session.begin():
            await ledger.record(session, delivery_id=item.id, status=status, now=self._now(),
                                error=error, telegram_message_id=message_id)


def _describe(exc: TelegramAPIError) -> str:
    return f"{type(exc).__name__}: {exc.message}"
