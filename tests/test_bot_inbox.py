"""Polling through the transactional inbox, in real `zhaolu run` processes against the loopback
Bot API: a SIGTERM lets the update in flight finish, a 409 storm is one log line, Telegram's 5xx
on getUpdates back off (1 s, 2 s) with one line."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

from content.texts import default_texts
from tests.loopback_telegram import LoopbackTelegram
from tests.worker_process import (
    WorkerProcess,
    no_leftover_workers,  # noqa: F401 - a fixture
    until,
)

HELP = "招录助手使用说明"
ERROR = default_texts()("fallback.error")


def replies(telegram: LoopbackTelegram, chat_id: int) -> list[str]:
    return telegram.sent_to(chat_id)


async def test_sigterm_lets_the_update_in_flight_finish(tmp_path: Path) -> None:
    async with LoopbackTelegram(delays={"sendMessage": 2.0}) as telegram:
        telegram.push_text(611, "/help")
        worker = await WorkerProcess(telegram, tmp_path).start()
        await until(lambda: any(r.method == "sendMessage" for r in telegram.requests), 30,
                    "the reply in flight")
        worker.send(signal.SIGTERM)
        polls = len(telegram.calls("getUpdates"))
        assert await worker.stop(timeout=25) == 0
        # The reply went out (Telegram answered it) and the process closed after it.
        assert [HELP in text for text in replies(telegram, 611)] == [True]
        assert len(telegram.calls("getUpdates")) <= polls + 1
        assert "Traceback" not in worker.log and ERROR not in "".join(replies(telegram, 611))
        assert worker.log.rstrip().endswith("stopped")
    # Marked handled in the handler's commit, its payload gone: the next start leaves it.
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT update_id, handled_at IS NOT NULL, payload IS NULL "
                          "FROM update_inbox").fetchall() == [(1, 1, 1)]
    assert not telegram.violations


async def test_a_409_storm_is_one_warning_and_errors_back_off(tmp_path: Path) -> None:
    async with LoopbackTelegram() as telegram:
        worker = await WorkerProcess(telegram, tmp_path).start()
        await until(lambda: any(r.method == "getUpdates" for r in telegram.requests), 30,
                    "polling")
        telegram.webhook_url = "https://other.example.org/hook"  # set by another deployment
        telegram.push_text(620, "/help")  # ends the long poll in progress
        await until(lambda: sum(r.status == 409 for r in telegram.requests) >= 2, 20,
                    "refused polls")
        telegram.webhook_url = ""
        telegram.push_text(621, "/help")
        await until(lambda: replies(telegram, 621), 20, "polling again")
        # Telegram's 5xx: one line, pauses of 1 s then 2 s (jittered), then on again.
        telegram.fail(502, count=3, methods={"getUpdates"})
        telegram.push_text(622, "/help")  # ends the long poll in progress
        await until(lambda: sum(r.status == 502 for r in telegram.requests) == 3, 20,
                    "three failed polls")
        telegram.push_text(623, "/help")
        await until(lambda: replies(telegram, 623), 20, "polling after the 502s")
        assert await worker.stop() == 0
    lines = worker.log.splitlines()
    refused = [line for line in lines if "getUpdates refused" in line]
    assert len(refused) == 1 and " WARNING " in refused[0], refused
    assert sum("getUpdates works again" in line for line in lines) == 2
    failed = [line for line in lines if "getUpdates failed" in line]
    assert len(failed) == 1 and "TelegramServerError" in failed[0], failed
    polls = [r.at for r in telegram.requests if r.method == "getUpdates" and r.status == 502]
    pauses = [later - earlier for earlier, later in zip(polls, polls[1:], strict=False)]
    # aiogram's Backoff: 1 s, then normalvariate(2 s, 0.2 s): 1.2 s is 4 standard deviations off
    # (1.5 s, 2.5 of them, failed once in a full run).
    assert len(pauses) == 2 and 0.7 < pauses[0] < 1.5 and 1.2 < pauses[1] < 3.0, pauses
