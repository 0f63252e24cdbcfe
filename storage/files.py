"""Files that hold personal data, readable by their owner only whatever the umask.

The var directory is 0700; the SQLite database with its -wal and -shm files and the key file are
0600. A mode is set explicitly (chmod after creating), because a creation mode only removes bits
the umask keeps, and a directory or file made by an earlier version may be 0755 / 0644: those are
tightened at the next start.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
# SQLite's companions of a database file (WAL mode); a rollback journal while migrating.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except FileNotFoundError:
        return
    except PermissionError:  # not ours (a shared directory named by a URL): say so, go on
        log.warning("cannot make %s private (mode %o): not its owner", path, mode)


def private_dir(path: Path) -> Path:
    """The directory, created if missing, mode 0700."""
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """The file, created empty if missing (never truncated), mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _tighten(path, FILE_MODE)
    return path


def private_sqlite(database: Path) -> None:
    """Before SQLite opens it: the database file exists and is 0600 (SQLite gives its -wal and
    -shm files the database file's mode), and any companion left from before is 0600 too; a
    directory made for it is 0700."""
    if not database.parent.is_dir():
        private_dir(database.parent)
    private_file(database)
    for suffix in SQLITE_SUFFIXES[1:]:
        _tighten(database.with_name(database.name + suffix), FILE_MODE)
