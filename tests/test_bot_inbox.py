"""Polling through the transactional inbox, in real `zhaolu run` processes against the loopback
Bot API: a SIGTERM lets the update in flight finish, a 409 storm is one log line."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

from content.texts import default_texts
from tests.loopback_telegram import LoopbackTelegram
from tests.worker_process import WorkerProcess, until

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


async def test_a_409_storm_is_one_warning(tmp_path: Path) -> None:
    async with LoopbackTelegram() as telegram:
        worker = await WorkerProcess(telegram, tmp_path).start()
        await until(lambda: any(r.method == "getUpdates" for r in telegram.requests), 30,
                    "polling")
        telegram.webhook_url = "https://other.example.org/hook"  # set by another deployment
        telegram.push_text(620, "/help")  # ends the long poll in progress
        await until(lambda: sum(r.status == 409 for r in telegram.requests) >= 2, 20,
                    "refused polls")
        telegram.webhook_url = ""
        await worker.wait_log("getUpdates works again", 20)
        telegram.push_text(621, "/help")
        await until(lambda: replies(telegram, 621), 20, "polling again")
        assert await worker.stop() == 0
    warnings = [line for line in worker.log.splitlines() if "getUpdates refused" in line]
    assert len(warnings) == 1 and " WARNING " in warnings[0], warnings
