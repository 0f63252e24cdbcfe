"""Logging set-up for the long-running commands.

Personal data never reaches the logs: the database drivers log SQL parameters (a phone number
in a form in progress, for instance) at DEBUG, so their loggers stay at WARNING whatever
ZHAOLU_LOG_LEVEL says; the engines hide parameters from their errors (storage/engine.py); and
every line, traceback included, goes through content/masking.py, so an ID or mobile number that
slips into an exception's text is masked there too.

ZHAOLU_LOG_FORMAT=json writes each record as one line of JSON (time, level, logger, message,
exception), for a log collector; the masking is the same, and so is the token's (TokenFilter,
bot/startup.py, which rewrites the record before either formatter sees it).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from content.masking import mask_personal_numbers

QUIET = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFormatter(logging.Formatter):
    """The usual line, with ID and mobile numbers masked (message and traceback alike)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_personal_numbers(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: a traceback stays inside its record, not spread over lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC)
                 .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "level": record.levelname, "logger": record.name,
                 "message": mask_personal_numbers(record.getMessage())}
        if record.exc_info:
            entry["exception"] = mask_personal_numbers(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask_personal_numbers(record.exc_text)
        if record.stack_info:
            entry["stack"] = mask_personal_numbers(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, log_format: str = "text") -> None:
    """`log_format`: "text" (one readable line) or "json" (ZHAOLU_LOG_FORMAT)."""
    logging.basicConfig(level=level.upper(), format=FORMAT)
    wanted = JsonFormatter() if log_format == "json" else MaskingFormatter(FORMAT)
    for handler in logging.getLogger().handlers:  # the one basicConfig made (not a test's)
        formatter = handler.formatter
        if isinstance(formatter, MaskingFormatter | JsonFormatter) \
                or (formatter is not None and formatter._fmt == FORMAT):
            handler.setFormatter(wanted)
    logging.getLogger().setLevel(level.upper())  # basicConfig keeps an existing set-up as is
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
