"""Replies survive Telegram's bad seconds: the retry policy (bot/api_retry.py) through a real
Bot, the real Dispatcher polling a loopback Bot API that answers 429, 5xx or 403 on demand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage

from bot import metrics
from bot.api_retry import LEDGER, RetryPolicy, retry_reason
from bot.delivery import Sender
from storage import delivery as ledger
from tests.db import sqlite_url
from tests.delivery_helpers import NOW, add_users
from tests.live_bot import CONVERSATION, FAST, Live, converse, retries, start


@pytest.fixture
async def live(db_url: str, tmp_path: Path) -> AsyncIterator[Live]:
    async for running in start(db_url, tmp_path, FAST):
        yield running


@pytest.fixture
async def live_sqlite(tmp_path: Path) -> AsyncIterator[Live]:
    """The retrying itself does not depend on the database: the storms run on SQLite only."""
    async for running in start(sqlite_url(tmp_path), tmp_path, FAST):
        yield running


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


def test_the_policy_reads_telegrams_answers() -> None:
    """Which answers are tried again, and after how long (jitter at its two ends)."""
    method = SendMessage(chat_id=1, text="x")
    policy = RetryPolicy()  # the conversation's
    too_many = TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=3)
    assert policy.pause(too_many, 1, lambda: 0.0) == 3.0
    assert policy.pause(too_many, 1, lambda: 1.0) == 3.5
    for error in (TelegramServerError(method=method, message="Bad Gateway"),
                  TelegramNetworkError(method=method, message="Request timeout error")):
        assert [policy.pause(error, n, lambda: 0.0) for n in (1, 2, 3, 6)] == [0.5, 1, 2, 4]
        assert policy.pause(error, 6, lambda: 1.0) == 6.0
    for final in (TelegramForbiddenError(method=method, message="bot was blocked by the user"),
                  TelegramBadRequest(method=method, message="message is not modified"),
                  TelegramEntityTooLarge(method=method, message="Request Entity Too Large")):
        assert policy.pause(final, 1) is None and retry_reason(final) is None
