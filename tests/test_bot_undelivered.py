"""A Bot API call the retry policy gives up: recorded in undelivered_replies (never its text),
logged once, counted; through a real Bot and Dispatcher and the loopback Bot API."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError

from bot import metrics
from bot.api_retry import RetryPolicy, record_undelivered_to
from tests.db import sqlite_url
from tests.live_bot import start
from tests.loopback_telegram import LoopbackTelegram
from tests.test_bot_inbox import replies
from tests.worker_process import (
    WorkerProcess,
    no_leftover_workers,  # noqa: F401 - a fixture
    until,
)


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


async def test_a_call_outside_any_update_is_recorded_where_the_bot_is_told(
        tmp_path: Path) -> None:
    """The scheduler's calls (cards, menus) answer no update: the Bot's own sessionmaker
    (set by start_scheduler through record_undelivered_to) records them."""
    short = RetryPolicy(base=0.05, cap=0.1, budget=0.3)
    async for live in start(sqlite_url(tmp_path), tmp_path, short):
        live.telegram.fail(502, methods={"editMessageText"})
        with pytest.raises(TelegramServerError):
            await live.bot.edit_message_text(text="进度", chat_id=-100, message_id=5)
        assert await live.undelivered() == []  # no database known to the Bot: logged only
        record_undelivered_to(live.bot, live.services.sessionmaker)
        with pytest.raises(TelegramServerError):
            await live.bot.edit_message_text(text="进度", chat_id=-100, message_id=5)
        (row,) = await live.undelivered()
        assert (row.method, row.chat_id, row.update_id) == ("editMessageText", -100, None)


async def test_a_429_longer_than_the_budget_is_given_up_at_once(tmp_path: Path) -> None:
    """Waiting out a retry_after past the budget would only delay the same end."""
    async for live in start(sqlite_url(tmp_path), tmp_path, RetryPolicy(budget=2.0)):
        record_undelivered_to(live.bot, live.services.sessionmaker)
        live.telegram.fail(429, retry_after=5, methods={"sendMessage"})
        started = time.monotonic()
        with pytest.raises(TelegramRetryAfter):
            await live.bot.send_message(61, "稍后")
        assert time.monotonic() - started < 1.0
        assert len(live.telegram.calls("sendMessage")) == 0
        assert [r.status for r in live.telegram.requests if r.method == "sendMessage"] == [429]
        (row,) = await live.undelivered()
        assert (row.chat_id, row.attempts) == (61, 1) and row.error.startswith("TelegramRetry")


async def test_a_call_stopped_while_retrying_is_recorded(tmp_path: Path) -> None:
    """A stop that cannot wait for the retries (cancelled): the reply is lost, not silently."""
    async for live in start(sqlite_url(tmp_path), tmp_path, RetryPolicy(base=0.05, cap=0.1)):
        record_undelivered_to(live.bot, live.services.sessionmaker)
        live.telegram.fail(502, methods={"sendMessage"})
        call = asyncio.create_task(live.bot.send_message(62, "稍后"))
        while sum(r.method == "sendMessage" for r in live.telegram.requests) < 2:
            await asyncio.sleep(0.02)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        (row,) = await live.undelivered()
        assert row.chat_id == 62 and row.attempts >= 2
        assert row.error == "TelegramServerError: Bad Gateway (stopped while retrying)"


async def test_a_start_up_call_given_up_is_recorded_and_the_worker_serves(
        tmp_path: Path, no_leftover_workers: None) -> None:  # noqa: F811 - a fixture
    """setMyCommands answers no update: given up at start (a worker without the scheduler
    too), it is recorded and logged, and the worker goes on serving without its command menu."""
    async with LoopbackTelegram() as telegram:
        telegram.fail(500, methods={"setMyCommands"})
        worker = WorkerProcess(telegram, tmp_path, ZHAOLU_REPLY_RETRY_SECONDS="1")
        worker.args = ["--no-scheduler"]
        await worker.start()
        await worker.wait_log("setMyCommands failed (TelegramServerError)")
        telegram.push_text(71, "/help")
        await until(lambda: bool(replies(telegram, 71)), 30, "the /help after the start")
        assert await worker.stop() == 0
    with sqlite3.connect(tmp_path / "bot.db") as db:
        rows = db.execute("SELECT method, chat_id, update_id FROM undelivered_replies").fetchall()
    assert rows == [("setMyCommands", None, None)]
    assert "Traceback" not in worker.log
