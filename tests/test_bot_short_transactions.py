"""No transaction is open while a Bot API request is in flight (bot/update_session.py): through
the real Dispatcher, every request checks that the update's session has nothing open and, on
SQLite, that another connection can take the write lock at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.engine import make_url

from storage.fsm import bound
from tests.harness import USER, Harness
from tests.staff_helpers import COORD, choose, compose, copies, send_now, tick


class Probe:
    """A request middleware registered after ours: it sees each request as it leaves."""

    def __init__(self, db_url: str) -> None:
        url = make_url(db_url)
        self.sqlite = url.get_backend_name() == "sqlite"
        self.path = url.database
        self.seen: list[str] = []
        self.open_transactions: list[str] = []
        self.locked: list[str] = []

    async def __call__(self, make_request: Any, bot: Bot, method: Any) -> Any:
        name = type(method).__name__
        self.seen.append(name)
        opened = bound()
        if opened is not None and opened.session.in_transaction():
            self.open_transactions.append(name)
        if self.sqlite and not self._write_lock_free():
            self.locked.append(name)
        return await make_request(bot, method)

    def _write_lock_free(self) -> bool:
        connection = sqlite3.connect(self.path, timeout=0)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.rollback()
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            connection.close()


async def test_no_transaction_spans_a_bot_api_request(db_url: str, tmp_path: Path) -> None:
    harness = await Harness.create(db_url, var_dir=tmp_path / "var")
    probe = Probe(db_url)
    harness.bot.session.middleware(probe)
    try:
        await harness.send("/start xiaogan-2023")  # a new user written, the menu sent
        await harness.send("/check")  # FSM state written, the first question sent
        await harness.press("专科（高职高专、大专）")  # answer kept, the next question edited in
        await harness.send("报名时间是什么时候？")
    finally:
        await harness.close()
    assert {"SendMessage", "EditMessageText", "AnswerCallbackQuery"} <= set(probe.seen)
    assert probe.open_transactions == []
    assert probe.locked == []


def _register_failing_handlers(harness: Harness) -> None:
    """Two commands on the Dispatcher itself (its own handlers come before the routers')."""

    async def fails_before_replying(message: Message, state: FSMContext) -> None:
        await state.set_state("demo:before")
        raise RuntimeError("before any request")

    async def fails_after_replying(message: Message, state: FSMContext) -> None:
        await state.set_state("demo:after")
        await message.answer("已记下")
        raise RuntimeError("after a request")

    harness.dispatcher.message.register(fails_before_replying, Command("failbefore"))
    harness.dispatcher.message.register(fails_after_replying, Command("failafter"))


async def test_a_failing_handler_keeps_only_what_preceded_its_requests(
        db_url: str, tmp_path: Path) -> None:
    """The trade-off documented in bot/update_session.py, through the real Dispatcher."""
    from aiogram.fsm.storage.base import StorageKey

    harness = await Harness.create(db_url, var_dir=tmp_path / "var")
    _register_failing_handlers(harness)
    key = StorageKey(bot_id=harness.bot.id, chat_id=USER, user_id=USER)
    try:
        await harness.send("/start xiaogan-2023")
        assert "出现了问题" in (await harness.send("/failbefore")).text
        assert await harness.dispatcher.storage.get_state(key) is None
        calls = await harness.send("/failafter")
        assert "已记下" in calls.texts[0] and "出现了问题" in calls.texts[-1]
        assert await harness.dispatcher.storage.get_state(key) == "demo:after"
    finally:
        await harness.close()


async def test_the_tick_holds_no_write_lock_while_it_edits_cards(
        staffed: Harness, db_url: str) -> None:
    """An announcement's tick edits the sender's card and sends the final report after its
    transaction committed (bot/announce_delivery.py), and the ledger's sends hold none either."""
    if make_url(db_url).get_backend_name() != "sqlite":
        pytest.skip("the write lock is SQLite's")
    h = staffed
    await compose(h, COORD)
    await choose(h, COORD, "admitted")
    await send_now(h, COORD)
    probe = Probe(db_url)
    h.bot.session.middleware(probe)
    calls = await tick(h)
    assert copies(calls) == [16, 17, 18]
    assert {"CopyMessage", "EditMessageText", "SendMessage"} <= set(probe.seen)
    assert probe.locked == []
