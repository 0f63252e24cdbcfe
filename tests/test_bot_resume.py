"""The transactional inbox across a kill -9, through real `zhaolu run` processes (polling)
against the loopback Bot API: updates recorded but not handled are handled after the restart,
none twice, and an update Telegram sends again is recognised."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.loopback_telegram import LoopbackTelegram
from tests.test_bot_inbox import HELP, replies
from tests.worker_process import (
    WorkerProcess,
    no_leftover_workers,  # noqa: F401 - a fixture
    until,
)


def requested(telegram: LoopbackTelegram, chat_id: int) -> list[str]:
    """Every sendMessage that reached the Bot API for this chat, answered or not: Telegram
    delivers a message it received even if the sender died before the answer came back."""
    return [r.params.get("text", "") for r in telegram.requests
            if r.method == "sendMessage" and r.params.get("chat_id") == chat_id]


async def test_kill_9_loses_nothing_and_answers_nothing_twice(tmp_path: Path) -> None:
    async with LoopbackTelegram() as telegram:
        users = range(601, 606)
        for user in users:  # queued before the start: recorded in one batch
            telegram.push_text(user, "/help")
            telegram.push_text(user, "/help")
        telegram.fail(0, methods={"sendMessage"})  # replies hang: handlers are in flight
        worker = await WorkerProcess(telegram, tmp_path, "first").start()
        # The next getUpdates confirmed the batch (committed to the inbox by then), and each
        # user's first reply is in flight; the second updates wait behind them.
        await until(lambda: telegram.pending == 0 and all(requested(telegram, u) for u in users)
                    and telegram.requests[-1].method == "getUpdates", 30,
                    "the batch confirmed and the replies in flight")
        assert await worker.stop(signal.SIGKILL) == -signal.SIGKILL
        telegram.faults.clear()
        telegram.repeat(1)  # Telegram sends one again: the inbox knows it
        again = await WorkerProcess(telegram, tmp_path, "second").start()
        await until(lambda: all(len(requested(telegram, u)) >= 2 for u in users), 40,
                    "every update answered after the restart")
        await asyncio.sleep(1)  # anything answered twice would show now
        assert await again.stop() == 0
    for user in users:
        assert [HELP in text for text in requested(telegram, user)] == [True, True]
        assert len(replies(telegram, user)) == 1  # the second one, answered after the restart
    assert "took 5 unhandled update(s)" in again.log
    assert "ignored 1 update(s) already in the inbox" in again.log
    assert not telegram.violations
