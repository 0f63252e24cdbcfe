"""Logging set-up for the long-running commands.

Personal data never reaches the logs: the database drivers log SQL parameters (a phone number
in a form in progress, for instance) at DEBUG, so their loggers stay at WARNING whatever
ZHAOLU_LOG_LEVEL says.
"""

from __future__ import annotations

import logging

QUIET = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level.upper())  # basicConfig keeps an existing set-up as is
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
