"""The sender: drains the delivery ledger (storage.delivery) under Telegram's limits.

A message is HTML text (sendMessage: reminders) or a copy of a message (copyMessage:
announcements; a WeChat recipient gets the announcement's text, kept as HTML, instead); both
share the one rate limit below.

- a global token bucket (`rate` messages/s, `burst` in hand): in any second at most
  rate + burst requests, so a server enforcing a per-second cap sees no more (bot/limits.py);
- at most one message per second per chat (https://core.telegram.org/bots/faq, "broadcasting");
- Telegram's answers are read by the one retry policy of every Bot API call (bot/api_retry.py,
  `policy`, LEDGER by default); the sender applies it itself, across the rows it holds, ticks
  and restarts, and makes each call once (`single_attempt`: the Bot's retry middleware leaves
  it alone, so nothing is retried twice over);
- 429: `retry_after` (policy's jitter added) pauses ALL sends, not only the chat's (the limit is
  the bot's), and the message is retried;
- 5xx and network errors: retried after the policy's jittered backoff, up to `max_attempts`; a
  5xx or a 429 leaves the chat's turn unspent (nothing reached it), a network error spends it
  (it may have);
- 403: the user blocked the bot: the row is `blocked` and the user marked, no more sends to them
  (a WeChat user who unfollowed the account too);
- WeChat (the channel session routes by the recipient's id): a closed reply window that no
  subscription message could bridge (WindowClosed) leaves the row `waiting`, shown at the user's
  next message (bot/wechat/server.py); each row records how it went (`outcome`);
- other 4xx: `failed`, retrying cannot help; for a copy whose source message was deleted,
  the whole message stops (every other copy would fail the same way);
- a message stopped by staff (`ledger.cancel`): its pending rows are cancelled in the ledger, and
  rows this sender already claimed are dropped unsent (checked at least every second);
- `until` (the start of the quiet hours, from the tick): no call starts after it; what is left
  stays pending for the next drain.
Each result is written right after its API call (results that come in together share one
transaction), and the call's slot stays taken until it is committed. Rows are claimed first
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
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary, WeakSet

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import metrics
from bot.api_retry import LEDGER, RATE_LIMITED, SERVER, RetryPolicy, retry_reason, single_attempt
from bot.clock import SHANGHAI
from bot.delivery_results import (
    GroupCommit,
    Route,
    SendReport,
    WindowClosed,
    describe,
    ledger_call,
)
from bot.limits import ChatPacer, Sleep, TokenBucket
from storage import delivery as ledger
from storage.delivery_results import Result, record
from storage.users import mark_blocked
from storage.wechat import is_wechat

log = logging.getLogger(__name__)
T = TypeVar("T")
_locks: WeakKeyDictionary[object, asyncio.Lock] = WeakKeyDictionary()
_running: WeakSet[Sender] = WeakSet()


def stop_in_process(key: str) -> None:
    """Tell the senders of this process at once that `key` was stopped (`ledger.cancel`), so a
    stop takes effect at the next call, not at the next check of the ledger; senders in other
    processes learn it from the ledger within `cancel_check_interval`."""
    for sender in list(_running):
        sender._cancelled.add(key)  # noqa: SLF001


class Sender:
    def __init__(self, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], *,
                 rate: float = 25.0, burst: float = 2.0, per_chat_interval: float = 1.0,
                 max_in_flight: int = 4, batch: int = 100, max_attempts: int = 5,
                 policy: RetryPolicy = LEDGER, until: datetime | None = None,
                 urgent_only: bool = False,
                 cancel_check_interval: float = 1.0,
                 now: Callable[[], datetime] = lambda: datetime.now(SHANGHAI),
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.bot, self.sessionmaker = bot, sessionmaker
        self.max_in_flight, self.batch, self.max_attempts = max_in_flight, batch, max_attempts
        self.policy, self.until = policy, until
        self.urgent_only, self.cancel_check_interval = urgent_only, cancel_check_interval
        self._now, self._monotonic, self._sleep = now, monotonic, sleep
        self.bucket = TokenBucket(rate, burst, monotonic=monotonic, sleep=sleep)
        self.pacer = ChatPacer(per_chat_interval, monotonic=monotonic, sleep=sleep)
        self.in_flight: set[asyncio.Task[None]] = set()
        self._queue: deque[ledger.Claimed] = deque()
        self._retry: list[tuple[float, int, ledger.Claimed]] = []
        self._seq = itertools.count()
        self._payloads: dict[str, tuple[ledger.Payload, InlineKeyboardMarkup | None]] = {}
        self._cancelled: set[str] = set()
        self._cancel_checked = float("-inf")
        self._blocked_chats: set[int] = set()
        self._db_tasks: set[asyncio.Task[Any]] = set()
        self._results = GroupCommit(self._db)
        self.report = SendReport()

    async def drain(self) -> SendReport:
        """Send everything pending now; return when nothing is left to try."""
        lock = _locks.setdefault(self.sessionmaker, asyncio.Lock())
        async with lock:
            _running.add(self)
            self.report.recovered += await self._db(ledger.recover)
            self.report.skipped_blocked += await self._db(ledger.skip_blocked)
            try:
                await self._loop()
            finally:
                await self._stop()
                _running.discard(self)
        return self.report

    def _too_late(self) -> bool:
        return self.until is not None and self._now() >= self.until

    async def _loop(self) -> None:
        exhausted = False
        while True:
            late = self._too_late()
            self._promote_retries()
            if not late and not exhausted and len(self._queue) < self.max_in_flight:
                exhausted = not await self._claim()
            if self._queue:
                await self._check_cancelled()
            while not late and self._queue and len(self.in_flight) < self.max_in_flight:
                task = asyncio.create_task(self._deliver(self._queue.popleft()))
                self.in_flight.add(task)
            if self.in_flight:
                await self._wait_in_flight()
            elif late:
                return
            elif self._retry:
                await self._sleep(max(0.0, self._retry[0][0] - self._monotonic()))
            elif not self._queue and exhausted:
                return

    async def _wait_in_flight(self) -> None:
        """Until a send in flight ends or the first retry falls due. The retry's pause is slept on
        the sender's own clock (the one its times are read from), like every other pause."""
        waiters: set[asyncio.Future] = set(self.in_flight)
        timer = None
        if self._retry:
            timer = asyncio.create_task(
                self._sleep(max(0.0, self._retry[0][0] - self._monotonic())))
            waiters.add(timer)
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if timer is not None and not timer.done():
                timer.cancel()
        for task in done:
            if task is not timer:
                self.in_flight.discard(task)
                task.result()  # a bug (not a Telegram answer) stops the drain loudly

    async def _stop(self) -> None:
        """Let calls in flight finish and record; give back what was claimed but not tried."""
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)
            self.in_flight.clear()
        if self._db_tasks:  # a claim under way when cancelled puts its rows in the queue
            await asyncio.gather(*self._db_tasks, return_exceptions=True)
        unsent = [c.id for c in self._queue] + [c.id for _, _, c in self._retry]
        self._queue.clear()
        self._retry.clear()
        if unsent:
            await self._db(lambda session: ledger.release(session, ids=unsent))
        if self._too_late():
            counts = await self._db(ledger.status_counts)
            self.report.deferred = counts.get(ledger.PENDING, 0)

    async def _db(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """One transaction, carried to its end even when the drain is cancelled meanwhile.

        A transaction cut by a cancellation leaves its SQLite connection holding the write lock
        until it is collected, and every other writer waits for it (busy_timeout).
        """
        async def run() -> T:
            async with self.sessionmaker() as session, session.begin():
                return await work(session)

        task = asyncio.create_task(run())
        self._db_tasks.add(task)
        task.add_done_callback(self._db_tasks.discard)
        return await asyncio.shield(task)

    def _promote_retries(self) -> None:
        now = self._monotonic()
        while self._retry and self._retry[0][0] <= now:
            self._queue.append(heapq.heappop(self._retry)[2])

    async def _claim(self) -> bool:
        async def claim(session: AsyncSession) -> bool:
            rows = await ledger.claim(session, limit=self.batch, now=self._now(),
                                      urgent_only=self.urgent_only)
            missing = {r.message_key for r in rows} - set(self._payloads)
            for key, payload in (await ledger.payloads_for(session, keys=missing)).items():
                markup = payload.reply_markup
                parsed = InlineKeyboardMarkup.model_validate_json(markup) if markup else None
                self._payloads[key] = (payload, parsed)
            self._queue.extend(rows)  # here, so a cancelled drain still knows to give them back
            return bool(rows)

        return await self._db(claim)

    async def _check_cancelled(self) -> None:
        """Learn which messages staff stopped (at most every `cancel_check_interval` s): their
        claimed rows are dropped instead of sent."""
        now = self._monotonic()
        if now - self._cancel_checked < self.cancel_check_interval:
            return
        self._cancel_checked = now
        keys = {c.message_key for c in self._queue} | {c.message_key for _, _, c in self._retry}
        if keys - self._cancelled:
            self._cancelled |= await self._db(
                lambda session: ledger.cancelled_keys(session, keys=keys))

    async def _deliver(self, item: ledger.Claimed) -> None:
        if item.user_id in self._blocked_chats:
            self.report.skipped_blocked += 1
            await self._record(item, ledger.BLOCKED, "user blocked the bot before sending")
            return
        if item.message_key in self._cancelled:
            await self._drop_cancelled(item)
            return
        payload, markup = self._payloads[item.message_key]
        try:
            async with self.pacer.turn(item.user_id):
                await self.bucket.acquire()
                if self._too_late():  # a 429's pause ran into the quiet hours
                    self._queue.appendleft(item)
                    return
                if item.message_key in self._cancelled:  # stopped while this one waited
                    await self._drop_cancelled(item)
                    return
                reached = True  # unless Telegram says it refused the call
                try:
                    message_id, outcome = await self._send(item.user_id, payload, markup)
                except TelegramAPIError as exc:
                    reached = retry_reason(exc) not in (RATE_LIMITED, SERVER)
                    raise
                finally:
                    if reached:
                        self.pacer.sent(item.user_id)
        except TelegramAPIError as exc:
            await self._refused(item, payload, exc)
        else:
            self.report.sent += 1
            await self._record(item, ledger.SENT, None, message_id, outcome)

    async def _refused(self, item: ledger.Claimed, payload: ledger.Payload,
                       exc: TelegramAPIError) -> None:
        """What Telegram's error means for the row, by the retry policy's reading of it."""
        reason = retry_reason(exc)
        if isinstance(exc, WindowClosed):
            self.report.waiting += 1
            await self._record(item, ledger.WAITING, describe(exc), None, "window_closed")
        elif reason == RATE_LIMITED:
            metrics.API_RETRIES.labels(reason).inc()
            pause = self.policy.retry_after(exc)  # type: ignore[arg-type]
            self.bucket.pause(pause)
            self.report.rate_limited += 1
            await self._record(item, ledger.SENDING, f"429: retry after {pause:.1f}s")
            self._queue.appendleft(item)
        elif reason is not None:  # 5xx, network
            await self._retry_later(item, exc)
        elif isinstance(exc, TelegramForbiddenError):
            await self._blocked(item, exc)
        elif (isinstance(exc, TelegramBadRequest) and payload.copy_from is not None
              and "message to copy not found" in exc.message):
            await self._source_gone(item, exc)
        else:  # another 4xx, 413 …: the same request would fail again
            await self._fail(item, exc)

    async def _send(self, chat_id: int, payload: ledger.Payload,
                    markup: InlineKeyboardMarkup | None) -> tuple[int, str]:
        """The message id, and how it went (the channel session says, else the Bot API)."""
        with single_attempt(), ledger_call(Route(
                payload.campaign_slug, payload.attachment.name if payload.attachment else None,
        )) as route:
            message_id = await self._call(chat_id, payload, markup)
        return message_id, route.outcome or "bot_api"

    async def _call(self, chat_id: int, payload: ledger.Payload,
                    markup: InlineKeyboardMarkup | None) -> int:
        if payload.copy_from is None or is_wechat(chat_id):
            # A copy cannot leave Telegram: WeChat gets the text kept for it (its HTML), and
            # the file, which the WeChat session makes an image or a link.
            sent = await send_with_file(self.bot, chat_id, payload, markup) \
                if payload.attachment else await self.bot.send_message(
                    chat_id=chat_id, text=payload.text, reply_markup=markup)
            return sent.message_id
        from_chat, message_id = payload.copy_from
        # parse_mode=None: the copy keeps the source's entities, nothing is parsed again.
        copied = await self.bot.copy_message(chat_id=chat_id, from_chat_id=from_chat,
                                             message_id=message_id, reply_markup=markup,
                                             parse_mode=None)
        return copied.message_id

    async def _drop_cancelled(self, item: ledger.Claimed) -> None:
        self.report.cancelled += 1
        await self._record(item, ledger.CANCELLED, "stopped before sending")

    async def _source_gone(self, item: ledger.Claimed, exc: TelegramAPIError) -> None:
        """The message every copy is made from was deleted: the rest of it cannot go either."""
        log.warning("delivery %s: the message to copy is gone; stopping it", item.message_key)
        self._cancelled.add(item.message_key)
        await self._fail(item, exc)
        await self._db(lambda session: ledger.cancel(session, key=item.message_key,
                                                     now=self._now()))

    async def _retry_later(self, item: ledger.Claimed, exc: TelegramAPIError) -> None:
        failures = item.failures + 1
        if failures >= self.max_attempts:
            await self._fail(item, exc)
            return
        self.report.retried += 1
        metrics.API_RETRIES.labels(retry_reason(exc)).inc()
        await self._record(item, ledger.SENDING, describe(exc))
        delay = self.policy.backoff(failures)
        heapq.heappush(self._retry, (self._monotonic() + delay, next(self._seq),
                                     replace(item, failures=failures)))

    async def _fail(self, item: ledger.Claimed, exc: TelegramAPIError) -> None:
        log.warning("delivery %s to %s failed: %s", item.message_key, item.user_id, describe(exc))
        self.report.failed += 1
        await self._record(item, ledger.FAILED, describe(exc))

    async def _blocked(self, item: ledger.Claimed, exc: TelegramAPIError) -> None:
        self.report.blocked += 1
        self._blocked_chats.add(item.user_id)

        async def blocked(session: AsyncSession) -> None:
            await record(session, delivery_id=item.id, status=ledger.BLOCKED,
                         now=self._now(), error=describe(exc))
            await mark_blocked(session, user_id=item.user_id, now=self._now())

        await self._db(blocked)

    async def _record(self, item: ledger.Claimed, status: str, error: str | None,
                      message_id: int | None = None, outcome: str | None = None) -> None:
        """Written with the results that come in meanwhile; returns once committed, so the
        call's slot stays taken until then and at any moment at most `max_in_flight` sent
        messages lack their result: what a crash can repeat."""
        await self._results.write(Result(item.id, status, self._now(), error, message_id,
                                         outcome))


async def send_with_file(bot: Bot, chat_id: int, payload: ledger.Payload,
                         markup: InlineKeyboardMarkup | None = None) -> Message:
    """A ledger message with its attachment (the file by Telegram's id, the text its caption):
    what a recipient a copy cannot reach gets."""
    attachment = payload.attachment
    assert attachment is not None
    send = bot.send_photo if attachment.kind == "photo" else bot.send_document
    return await send(chat_id, attachment.file_id, caption=payload.text, reply_markup=markup)
