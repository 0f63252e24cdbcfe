"""Chinese renderings of dates and times, as the notices write them (2023年5月4日 8:00)."""

from __future__ import annotations

from datetime import date, datetime

from bot.clock import to_shanghai

WEEKDAYS = "一二三四五六日"


def cn_date(value: date | datetime, *, year: bool = True, weekday: bool = False) -> str:
    if isinstance(value, datetime):
        value = to_shanghai(value).date()
    text = f"{value.month}月{value.day}日"
    if year:
        text = f"{value.year}年{text}"
    if weekday:
        text += f"（星期{WEEKDAYS[value.weekday()]}）"
    return text


def cn_time(value: datetime) -> str:
    value = to_shanghai(value)
    return f"{value.hour}:{value.minute:02d}"


def cn_datetime(value: datetime, *, year: bool = True) -> str:
    """2023年7月9日 8:00; midnight prints the date alone, 23:59 as 24:00 is not used."""
    value = to_shanghai(value)
    if value.hour == 0 and value.minute == 0:
        return cn_date(value, year=year)
    return f"{cn_date(value, year=year)} {cn_time(value)}"


def cn_span(start: datetime, end: datetime) -> str:
    """2023年5月4日至6月30日, 2023年7月9日 8:00至7月12日 17:00."""
    start, end = to_shanghai(start), to_shanghai(end)
    same_year = start.year == end.year
    return f"{cn_datetime(start)}至{_end_text(end, year=not same_year)}"


def _end_text(end: datetime, *, year: bool) -> str:
    # A window that "closes at 23:59:59" reads as that day in Chinese notices.
    if (end.hour, end.minute) in ((23, 59), (0, 0)):
        return cn_date(end, year=year)
    return cn_datetime(end, year=year)


def cn_deadline(end: datetime, *, year: bool = True) -> str:
    """2023年6月30日 for a deadline at 23:59(:59), else the date and time: 2023年7月12日 17:00."""
    end = to_shanghai(end)
    if (end.hour, end.minute) == (23, 59):
        return cn_date(end, year=year)
    return cn_datetime(end, year=year)


def cn_when(start: datetime | None, end: datetime | None) -> str:
    """An event's date as a notice says it: 7月15日起, 8月31日前, or a span."""
    if start is not None and end is not None:
        return cn_span(start, end)
    if start is not None:
        return f"{cn_datetime(start)}起"
    if end is not None:
        return f"{cn_deadline(end)}前"
    raise ValueError("an event needs start, end or both")
