"""The transactional inbox across a kill -9, through real `zhaolu run` processes (polling)
against the loopback Bot API: updates recorded but not handled are handled after the restart,
none twice, and an update Telegram sends again is recognised."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.loopback_telegram import LoopbackTelegram
from tests.test_bot_inbox import HELP, replies
from tests.worker_process import WorkerProcess, until


async def test_kill_9_loses_nothing_and_answers_nothing_twice(tmp_path: Path) -> None:
    async with LoopbackTelegram() as telegram:
        users = range(601, 605)
        for user in users:  # queued before the start: recorded in one batch
            telegram.push_text(user, "/help")
            telegram.push_text(user, "/help")
        first = telegram.push_text(605, "/help")
        telegram.fail(0, methods={"sendMessage"})  # replies hang: handlers are in flight
        worker = await WorkerProcess(telegram, tmp_path, "first").start()
        # The next getUpdates confirmed the batch: it was committed to the inbox by then.
        await until(lambda: telegram.pending == 0 and telegram.requests[-1].method != "getMe"
                    and any(r.method == "sendMessage" for r in telegram.requests), 30,
                    "the batch confirmed and a reply in flight")
        assert await worker.stop(signal.SIGKILL) == -signal.SIGKILL
        telegram.faults.clear()
        telegram.repeat(first)  # Telegram sends one again: the inbox knows it
        again = await WorkerProcess(telegram, tmp_path, "second").start()
        await until(lambda: all(len(replies(telegram, u)) >= 2 for u in users)
                    and replies(telegram, 605), 40, "every update answered after the restart")
        await asyncio.sleep(1)  # anything answered twice would show now
        assert await again.stop() == 0
    for user in users:
        assert [HELP in text for text in replies(telegram, user)] == [True, True]
    assert len(replies(telegram, 605)) == 1
    assert "took" in again.log and "ignored 1 update(s) already in the inbox" in again.log
    assert not telegram.violations
