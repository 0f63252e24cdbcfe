"""The one clock everything time-dependent reads.

Production uses the system time; the shell and the tests set it. Every datetime it hands out is
timezone-aware in Asia/Shanghai, the zone every notice is written in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_shanghai(moment: datetime) -> datetime:
    """An aware datetime in Asia/Shanghai; a naive one is taken to be Shanghai local time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def parse_moment(text: str) -> datetime:
    """Parse ISO-8601 (a date alone means its midnight); naive input is Shanghai local time."""
    return to_shanghai(datetime.fromisoformat(text.strip()))


class Clock:
    """Real time unless set; `set` pins it, `advance` moves a pinned clock forward."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._fixed = to_shanghai(fixed) if fixed is not None else None

    @property
    def is_fixed(self) -> bool:
        return self._fixed is not None

    def now(self) -> datetime:
        if self._fixed is not None:
            return self._fixed
        return datetime.now(SHANGHAI)

    def set(self, moment: datetime) -> None:
        self._fixed = to_shanghai(moment)

    def advance(self, delta: timedelta) -> None:
        self._fixed = self.now() + delta
