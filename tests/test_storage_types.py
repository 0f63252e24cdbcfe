"""AwareDateTime: stored as UTC, read back in Asia/Shanghai, naive input refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlmodel import col, select

from storage.models import User
from storage.types import SHANGHAI

NEW_YORK = ZoneInfo("America/New_York")


async def test_round_trip_returns_the_same_instant_in_shanghai(sessionmaker):
    moment = datetime(2023, 5, 4, 9, 30, tzinfo=NEW_YORK)  # 21:30 in Shanghai
    async with sessionmaker() as session:
        session.add(User(id=1, first_name="甲", first_seen=moment, last_seen=moment))
        await session.commit()
    async with sessionmaker() as session:
        user = await session.get(User, 1)
    assert user is not None
    assert user.first_seen == moment
    assert user.first_seen.tzinfo == SHANGHAI
    assert (user.first_seen.hour, user.first_seen.minute) == (21, 30)


async def test_microseconds_and_none_survive(sessionmaker):
    moment = datetime(2023, 12, 31, 23, 59, 59, 123456, tzinfo=UTC)
    async with sessionmaker() as session:
        session.add(User(id=2, first_name="乙", first_seen=moment, last_seen=moment))
        await session.commit()
    async with sessionmaker() as session:
        user = await session.get(User, 2)
    assert user is not None
    assert user.last_seen == moment and user.last_seen.microsecond == 123456
    assert user.blocked_at is None


async def test_stored_as_utc_so_order_and_comparison_follow_the_instant(sessionmaker, engine):
    early = datetime(2023, 5, 4, 23, 0, tzinfo=SHANGHAI)  # 15:00 UTC
    late = datetime(2023, 5, 4, 16, 0, tzinfo=UTC)  # 2023-05-05 00:00 Shanghai
    async with sessionmaker() as session:
        session.add(User(id=3, first_name="晚", first_seen=late, last_seen=late))
        session.add(User(id=4, first_name="早", first_seen=early, last_seen=early))
        await session.commit()
        ids = (await session.exec(select(User.id).order_by(col(User.last_seen)))).all()
        after = await session.exec(
            select(User.id).where(col(User.last_seen) > early + timedelta(minutes=30))
        )
        assert list(after) == [3]
    assert list(ids) == [4, 3]
    async with engine.connect() as connection:
        raw = (await connection.execute(text("SELECT last_seen FROM users WHERE id = 4"))).scalar()
    text_form = raw if isinstance(raw, str) else raw.astimezone(UTC).isoformat()
    assert text_form.startswith("2023-05-04 15:00") or text_form.startswith("2023-05-04T15:00")


async def test_naive_datetime_is_refused(sessionmaker):
    naive = datetime(2023, 5, 4, 9, 30)  # noqa: DTZ001  (the point of the test)
    async with sessionmaker() as session:
        session.add(User(id=5, first_name="丙", first_seen=naive, last_seen=naive))
        with pytest.raises(StatementError, match="naive"):
            await session.flush()
