"""Replies survive Telegram's bad seconds: the retry policy (bot/api_retry.py) through a real
Bot, the real Dispatcher polling a loopback Bot API that answers 429, 5xx or 403 on demand."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from sqlmodel import select

from bot import metrics
from bot.api_retry import LEDGER, RetryMiddleware, RetryPolicy
from bot.app import Services, build_bot, build_dispatcher, open_services
from bot.clock import Clock
from bot.delivery import Sender
from bot.settings import Settings
from storage import delivery as ledger
from storage.update_inbox import UndeliveredReply
from tests.db import sqlite_url
from tests.delivery_helpers import NOW, add_users
from tests.harness import DEFAULT_NOW
from tests.loopback_telegram import TOKEN, LoopbackTelegram

# Short pauses: a 5xx storm of a few seconds is ridden out in a few seconds, not in 30.
FAST = RetryPolicy(base=0.05, cap=0.4, jitter=0.5, retry_after_jitter=0.2, budget=10.0)
CONVERSATION = ["/start xiaogan-2023", "/help", "报名时间"]


@dataclass
class Live:
    telegram: LoopbackTelegram
    services: Services
    bot: Bot
    dispatcher: Dispatcher

    async def replies(self, users: Iterable[int], count: int, timeout: float = 25.0) -> None:
        """Wait until each user got `count` replies (or time out, failing the test)."""
        async def enough() -> None:
            while any(len(self.telegram.sent_to(u)) < count for u in users):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(enough(), timeout)

    async def settled(self, user: int, quiet: float = 0.7) -> list[str]:
        """The user's replies once none came for `quiet` seconds."""
        seen = -1
        while len(self.telegram.sent_to(user)) != seen:
            seen = len(self.telegram.sent_to(user))
            await asyncio.sleep(quiet)
        return self.telegram.sent_to(user)

    async def undelivered(self) -> list[UndeliveredReply]:
        async with self.services.sessionmaker() as session:
            return list((await session.exec(select(UndeliveredReply))).all())


async def start(db_url: str, tmp_path: Path, policy: RetryPolicy) -> AsyncIterator[Live]:
    telegram = LoopbackTelegram()
    await telegram.start()
    settings = Settings(database_url=db_url, var_dir=tmp_path / "var", bot_token=TOKEN,
                        telegram_api_url=telegram.base_url)
    services = await open_services(settings, Clock(DEFAULT_NOW))
    bot = build_bot(settings, retry=RetryMiddleware(policy))
    dispatcher = build_dispatcher(services)
    polling = asyncio.create_task(dispatcher.start_polling(
        bot, handle_signals=False, polling_timeout=1, close_bot_session=False))
    try:
        yield Live(telegram, services, bot, dispatcher)
    finally:
        await dispatcher.stop_polling()
        await polling
        await dispatcher.storage.close()
        await bot.session.close()
        await services.close()
        await telegram.stop()


@pytest.fixture
async def live(db_url: str, tmp_path: Path) -> AsyncIterator[Live]:
    async for running in start(db_url, tmp_path, FAST):
        yield running


@pytest.fixture
async def live_sqlite(tmp_path: Path) -> AsyncIterator[Live]:
    """The retrying itself does not depend on the database: the storms run on SQLite only."""
    async for running in start(sqlite_url(tmp_path), tmp_path, FAST):
        yield running


def converse(telegram: LoopbackTelegram, users: Iterable[int]) -> None:
    """Each user sends the whole conversation at once, as a hurried user taps."""
    for text in CONVERSATION:
        for user in users:
            telegram.push_text(user, text)


def retries(reason: str) -> float:
    return metrics.API_RETRIES.labels(reason)._value.get()


@pytest.mark.parametrize("status", [429, 502])
async def test_a_storm_of_429s_or_5xx_delivers_every_reply_once_in_order(live_sqlite: Live,
                                                                        status: int) -> None:
    live = live_sqlite
    calm, stormy = [11, 12, 13], [21, 22, 23, 24, 25]
    converse(live.telegram, calm)
    await live.replies(calm, len(CONVERSATION))
    expected = await live.settled(calm[0])
    assert len(set(expected)) == len(expected) >= len(CONVERSATION)
    reason = "429" if status == 429 else "5xx"
    before = retries(reason)

    live.telegram.fail(status, seconds=2.5, retry_after=1, methods={"sendMessage"})
    converse(live.telegram, stormy)
    await live.replies(stormy, len(expected))
    await asyncio.sleep(0.5)  # a duplicate would come now
    for user in stormy:
        assert live.telegram.sent_to(user) == expected, user  # each once, in order
    refused = [r for r in live.telegram.requests if r.status == status]
    assert refused, "the storm never hit a reply"
    assert retries(reason) - before == len(refused)
    assert await live.undelivered() == []
    assert live.telegram.violations == []


async def test_a_reply_that_never_goes_is_recorded_logged_and_counted(
        db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    short = RetryPolicy(base=0.05, cap=0.2, budget=1.0)
    async for live in start(db_url, tmp_path, short):
        before = metrics.UNDELIVERED.labels("sendMessage")._value.get()
        live.telegram.fail(500, methods={"sendMessage"})
        with caplog.at_level(logging.WARNING):
            update_id = live.telegram.push_text(31, "/start xiaogan-2023")
            for _ in range(100):
                if await live.undelivered():
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
        (row,) = await live.undelivered()
        assert (row.method, row.chat_id, row.update_id) == ("sendMessage", 31, update_id)
        assert row.attempts >= 3 and row.error == "TelegramServerError: Internal Server Error"
        assert metrics.UNDELIVERED.labels("sendMessage")._value.get() == before + 1
        attempts = [r for r in live.telegram.requests if r.method == "sendMessage"]
        assert len(attempts) == row.attempts  # no error reply tried after the budget ran out
        assert attempts[-1].at - attempts[0].at <= short.budget
        given_up = [r for r in caplog.records if "given up" in r.getMessage()]
        assert len(given_up) == 1 and given_up[0].levelno == logging.WARNING
        line = given_up[0].getMessage()
        assert "sendMessage" in line and "chat 31" in line and f"update {update_id}" in line
        sent_text = attempts[0].params["text"]
        assert sent_text[:10] not in caplog.text  # the reply's text is in no log line


async def test_403_is_not_retried(live: Live) -> None:
    before = {reason: retries(reason) for reason in metrics.RETRY_REASONS}
    live.telegram.fail(403, methods={"sendMessage"})
    live.telegram.push_text(41, "/start xiaogan-2023")
    for _ in range(60):
        if any(r.method == "sendMessage" for r in live.telegram.requests):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # a retry (0.05-0.1 s later) or an error reply would come now
    assert [r.status for r in live.telegram.requests if r.method == "sendMessage"] == [403]
    assert {reason: retries(reason) for reason in metrics.RETRY_REASONS} == before
    assert await live.undelivered() == []


async def test_the_ledger_under_429s_and_5xx_sends_every_row_once(live_sqlite: Live) -> None:
    """The sender's calls go through the same Bot, once each: the sender itself sees every
    refusal and reschedules the row (no retry inside the middleware on top)."""
    sessionmaker = live_sqlite.services.sessionmaker
    ids = list(range(51, 71))
    await add_users(sessionmaker, ids)
    async with sessionmaker() as session, session.begin():
        await ledger.enqueue(session, key="storm", kind="broadcast", text="通知",
                             recipients=ids, now=NOW)
    live_sqlite.telegram.fail(429, count=2, retry_after=1, methods={"sendMessage"})
    live_sqlite.telegram.fail(502, count=4, methods={"sendMessage"})
    sender = Sender(live_sqlite.bot, sessionmaker, rate=100, policy=replace(LEDGER, base=0.05))
    report = await sender.drain()
    assert (report.sent, report.rate_limited, report.retried) == (20, 2, 4)
    delivered = [p["chat_id"] for p in live_sqlite.telegram.calls("sendMessage")]
    assert sorted(delivered) == ids
    assert await live_sqlite.undelivered() == []
