"""Two processes on one SQLite file: one schedules, the other is refused with one log line and
takes over when the first one dies (bot/scheduler_lock.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.scheduler import start_scheduler
from bot.scheduler_lock import SchedulerFileLock
from storage import delivery as ledger
from storage.engine import create_engine
from tests.delivery_helpers import add_users
from tests.harness import Harness
from tests.test_delivery_scheduler import _running_jobs_done

ROOT = Path(__file__).resolve().parent.parent


def test_two_holders_of_one_file_exclude_each_other(tmp_path: Path) -> None:
    first = SchedulerFileLock(tmp_path / "zhaolu.db.scheduler.lock")
    second = SchedulerFileLock(first.path)
    assert first.acquire() and first.acquire()  # taking it again keeps it
    assert not second.acquire() and not second.held
    assert second.holder() == str(os.getpid())
    first.release()
    assert second.acquire()
    second.release()


def test_the_lock_sits_beside_a_sqlite_file_only(tmp_path: Path) -> None:
    lock = SchedulerFileLock.beside(create_engine(f"sqlite:///{tmp_path}/zl.db"))
    assert lock is not None and lock.path == tmp_path / "zl.db.scheduler.lock"
    assert SchedulerFileLock.beside(create_engine("sqlite://")) is None
    assert SchedulerFileLock.beside(create_engine("postgresql://u@127.0.0.1/x")) is None


@pytest.fixture
def other_scheduler(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the scheduler lock of tmp_path/zl.db, as a running bot would."""
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from bot.scheduler_lock import SchedulerFileLock
        assert SchedulerFileLock(Path({str(tmp_path / 'zl.db.scheduler.lock')!r})).acquire()
        print("held", flush=True)
        time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()
    process.stdout.close()


async def _sent(harness: Harness, count: int, seconds: float = 3.0) -> list[int]:
    for _ in range(int(seconds / 0.05)):
        sent = [c for c in harness.session.calls if c.method == "sendMessage"]
        if len(sent) >= count:
            break
        await asyncio.sleep(0.05)
    return sorted(int(c.chat_id) for c in harness.session.calls if c.method == "sendMessage")


async def test_a_second_scheduler_is_refused_then_takes_over(
        tmp_path: Path, other_scheduler: subprocess.Popen[str],
        caplog: pytest.LogCaptureFixture) -> None:
    harness = await Harness.create(f"sqlite+aiosqlite:///{tmp_path}/zl.db",
                                   var_dir=tmp_path / "var")
    await add_users(harness.services.sessionmaker, [1, 2])
    async with harness.services.sessionmaker() as session, session.begin():
        await ledger.enqueue(session, key="b", kind="broadcast", text="通知", recipients=[1, 2],
                             now=harness.clock.now())
    caplog.set_level(logging.INFO, logger="bot.scheduler")
    scheduler = start_scheduler(harness.services, harness.bot, seconds=3600)
    try:
        refused = [r.getMessage() for r in caplog.records
                   if r.name == "bot.scheduler" and r.levelno == logging.WARNING]
        assert len(refused) == 1
        assert f"pid {other_scheduler.pid}" in refused[0] and "zl.db" in refused[0]
        assert await _sent(harness, 1, seconds=1.0) == []  # its first tick sent nothing
        other_scheduler.send_signal(signal.SIGKILL)
        other_scheduler.wait()
        harness.services.wake_sender()
        assert await _sent(harness, 2) == [1, 2]
        assert any("took the scheduling over" in r.getMessage() for r in caplog.records)
    finally:
        await _running_jobs_done()
        scheduler.shutdown(wait=False)
        await harness.close()
    assert SchedulerFileLock(tmp_path / "zl.db.scheduler.lock").acquire()  # freed at shutdown
