"""Column types shared by every table.

`AwareDateTime` is the only timestamp type: values are stored in UTC (naive in SQLite, which has no
time zones; ``timestamptz`` in PostgreSQL) and come back as aware datetimes in Asia/Shanghai, the
zone every notice and every user lives in. Naive input is refused: it is always a bug (a
``datetime.now()`` without a zone), and guessing its zone would corrupt data silently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    """Default factory for timestamp fields (aware; stored as UTC)."""
    return datetime.now(UTC)


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp: in as any aware datetime, out in Asia/Shanghai."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"AwareDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"AwareDateTime refuses a naive datetime: {value.isoformat()}")
        utc = value.astimezone(UTC)
        # SQLite stores the text form; a naive UTC value keeps it comparable and sortable.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text, e.g. from a hand-written query
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI)
