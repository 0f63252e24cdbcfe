"""Which process schedules when several `zhaolu run` share one SQLite file: a file lock beside it.

Two schedulers on one SQLite file sent 55 duplicates at twice the rate (issue 15): each took the
other's claimed ledger rows for a crash's leftovers. PostgreSQL has its advisory lock
(bot/scheduler.py `exclusive`); SQLite gets `<database>.scheduler.lock`, held with flock(2) for
the life of the process that schedules. The kernel drops it when that process ends, however it
ends (kill -9 included), so there is nothing stale to clean up.

A process refused at start says so in one log line and goes on serving updates without sending
anything; its tick keeps trying the lock (a non-blocking call every TICK_SECONDS), so it takes
over when the holder stops, as a second PostgreSQL scheduler does. Exiting instead would leave
nobody to take over, and a second worker on one file (webhook behind a proxy, or a restart
overlapping the old process's shutdown) is useful for its updates.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
SUFFIX = ".scheduler.lock"


class SchedulerFileLock:
    """flock(2) on a file beside the database; the holder's pid is written in it for the logs.

    Each instance opens the file itself, so two instances conflict even in one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def beside(cls, engine: AsyncEngine) -> SchedulerFileLock | None:
        """The lock of a SQLite file database; None elsewhere (PostgreSQL, in-memory SQLite)."""
        url = engine.url
        database = url.database
        if url.get_backend_name() != "sqlite" or not database or database == ":memory:" \
                or database.startswith("file:"):
            return None
        return cls(Path(database).with_name(Path(database).name + SUFFIX))

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if it is free (never waits); True while this instance holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # BlockingIOError: another process holds it
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """The pid written by the holder, for a log line ("unknown" if unreadable)."""
        with contextlib.suppress(OSError):
            return self.path.read_text().strip() or "unknown"
        return "unknown"

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock


def refused_line(lock: SchedulerFileLock) -> str:
    return (f"scheduler: another zhaolu run (pid {lock.holder()}) already schedules for "
            f"{lock.path.name.removesuffix(SUFFIX)}; this process serves updates without "
            "sending reminders or announcements, and takes the scheduling over if that one stops "
            "(start extra workers with --no-scheduler to silence this)")
