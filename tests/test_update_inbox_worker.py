"""The inbox's worker in-process, on SQLite and PostgreSQL: a user's update waits while an
earlier one is held by another worker, and an update that every worker died with is dropped."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from aiogram.types import Update

from bot.update_inbox import LEASE, MAX_ATTEMPTS, UpdateInbox
from storage import update_inbox as rows
from storage.crypto import vault_for
from tests.harness import Harness

USER = 631


def help_update(h: Harness, update_id: int) -> Update:
    message = {"message_id": update_id, "date": 1683684000, "text": "/help",
               "chat": {"id": USER, "type": "private"},
               "from": {"id": USER, "is_bot": False, "first_name": "小周"},
               "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}
    return Update.model_validate({"update_id": update_id, "message": message},
                                 context={"bot": h.bot})


async def settled(inbox: UpdateInbox) -> None:
    for _ in range(200):
        if not inbox.backlog:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the inbox did not settle")


async def test_a_later_update_waits_for_the_one_another_worker_holds(harness: Harness) -> None:
    h, now = harness, harness.clock.now()
    vault = vault_for(h.services.settings)
    earlier = help_update(h, 10)
    async with h.services.sessionmaker() as session, session.begin():
        await rows.record(session, channel="telegram", now=now, worker="other:1:ab",
                          lease_until=now + LEASE, rows=[rows.NewUpdate(
                              10, USER, vault.encrypt(earlier.model_dump_json()))])
    inbox = UpdateInbox(h.services, h.dispatcher, h.bot)
    assert await inbox.receive([help_update(h, 11)]) == 1
    await settled(inbox)
    assert not h.calls  # 11 was given back: 10 comes first
    assert await inbox.sweep() == 0  # 10 is still held by the other worker
    async with h.services.sessionmaker() as session, session.begin():
        await rows.release(session, channel="telegram", worker="other:1:ab")  # it stopped
    assert await inbox.sweep() == 1  # 10, then 11
    await settled(inbox)
    assert await inbox.sweep() == 1
    await settled(inbox)
    assert [c.method for c in h.calls] == ["sendMessage", "sendMessage"]
    async with h.services.sessionmaker() as session:
        assert await rows.unhandled_count(session, channel="telegram") == 0
    assert inbox.handled == 2


async def test_an_update_its_workers_died_with_is_dropped(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h, now = harness, harness.clock.now()
    payload = vault_for(h.services.settings).encrypt(json.dumps({"update_id": 20}))
    async with h.services.sessionmaker() as session, session.begin():
        await rows.record(session, channel="telegram", now=now, worker=None, lease_until=None,
                          rows=[rows.NewUpdate(20, USER, payload)])
        record = await session.get(rows.UpdateRecord, ("telegram", 20))
        assert record is not None
        record.attempts = MAX_ATTEMPTS
    inbox = UpdateInbox(h.services, h.dispatcher, h.bot)
    with caplog.at_level(logging.ERROR, "bot.update_inbox"):
        assert await inbox.sweep() == 1
    await settled(inbox)
    assert not h.calls and "update 20 was taken 5 times and never finished" in caplog.text
    async with h.services.sessionmaker() as session:
        assert await rows.unhandled_count(session, channel="telegram") == 0
