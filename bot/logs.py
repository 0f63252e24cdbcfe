"""Logging set-up for the long-running commands.

Personal data never reaches the logs: the database drivers log SQL parameters (a phone number
in a form in progress, for instance) at DEBUG, so their loggers stay at WARNING whatever
ZHAOLU_LOG_LEVEL says; the engines hide parameters from their errors (storage/engine.py); and
every line, traceback included, goes through content/masking.py, so an ID or mobile number that
slips into an exception's text is masked there too.
"""

from __future__ import annotations

import logging

from content.masking import mask_personal_numbers

QUIET = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFormatter(logging.Formatter):
    """The usual line, with ID and mobile numbers masked (message and traceback alike)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_personal_numbers(super().format(record))


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format=FORMAT)
    for handler in logging.getLogger().handlers:  # the one basicConfig made (not a test's)
        formatter = handler.formatter
        if formatter is not None and formatter._fmt == FORMAT \
                and not isinstance(formatter, MaskingFormatter):
            handler.setFormatter(MaskingFormatter(FORMAT))
    logging.getLogger().setLevel(level.upper())  # basicConfig keeps an existing set-up as is
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
