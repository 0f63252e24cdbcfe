"""A real `zhaolu run` process against the loopback Bot API (tests.loopback_telegram)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.loopback_telegram import TOKEN, LoopbackTelegram


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WorkerProcess:
    """`python -m bot.cli run` with its own log file; one data directory may be shared by
    several (a restart, or workers on one database)."""

    def __init__(self, telegram: LoopbackTelegram, data: Path, name: str = "worker",
                 **env: str) -> None:
        self.log_path = data / f"{name}.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ZHAOLU_")} | {
            "ZHAOLU_BOT_TOKEN": TOKEN, "ZHAOLU_TELEGRAM_API_URL": telegram.base_url,
            "ZHAOLU_VAR_DIR": str(data / "var"),
            "ZHAOLU_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'bot.db'}"} | env
        self.process: asyncio.subprocess.Process | None = None
        self.args: list[str] = []  # after `run`, e.g. --no-scheduler

    async def start(self) -> WorkerProcess:
        self._log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", *self.args, env=self.env,
            stdout=self._log, stderr=self._log)
        _started.append(self)
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def wait_log(self, needle: str, timeout: float = 30) -> None:
        await until(lambda: needle in self.log, timeout, f"{needle!r} in the log:\n{self.log}")

    def send(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def exited(self, timeout: float = 30) -> int:
        """Wait for the process to end on its own; its exit code."""
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), timeout)
        self._log.close()
        return code

    async def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the process and wait for it to exit; its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signum)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        self._log.close()
        return code


_started: list[WorkerProcess] = []


@pytest.fixture(autouse=True)
async def no_leftover_workers() -> AsyncIterator[None]:
    """A test that fails half-way leaves no `zhaolu run` behind (import it in the module)."""
    yield
    while _started:
        worker = _started.pop()
        if worker.process is not None and worker.process.returncode is None:
            worker.process.kill()
            await worker.process.wait()
        worker._log.close()


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(0.05)
