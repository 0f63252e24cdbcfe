"""The inbox's queries on SQLite and PostgreSQL: duplicates ignored, leases, a user's order."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storage import update_inbox as inbox
from storage.engine import driver_connection, make_sessionmaker
from storage.models import User
from storage.retention import INBOX_KEEP, purge
from storage.types import SHANGHAI
from storage.update_inbox import NewUpdate
from storage.users import touch_user

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI)
LEASE = timedelta(seconds=10)
BIG_USER = 7_123_456_789


def rows(*pairs: tuple[int, int | None]) -> list[NewUpdate]:
    return [NewUpdate(update_id, user, f"cipher{update_id}") for update_id, user in pairs]


async def test_a_duplicate_update_id_is_ignored(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        first = await inbox.record(session, channel="telegram", rows=rows((1, 5), (2, 5)),
                                   now=T0, worker="a:1", lease_until=T0 + LEASE)
    async with sessionmaker() as session, session.begin():
        again = await inbox.record(session, channel="telegram", rows=rows((2, 5), (3, 6)),
                                   now=T0, worker="b:2", lease_until=T0 + LEASE)
        other = await inbox.record(session, channel="wechat", rows=rows((2, 5)), now=T0,
                                   worker=None, lease_until=None)
    assert (set(first), set(again), set(other)) == ({1, 2}, {3}, {2})
    async with sessionmaker() as session:
        kept = await session.get(inbox.UpdateRecord, ("telegram", 2))
    assert kept is not None and kept.worker == "a:1"  # the first record stays as it was


async def test_recording_says_whether_an_earlier_update_of_the_user_is_unhandled(
        sessionmaker) -> None:
    async def record(*pairs: tuple[int, int | None]) -> dict[int, bool]:
        async with sessionmaker() as session, session.begin():
            return await inbox.record(session, channel="telegram", rows=rows(*pairs), now=T0,
                                      worker="a:1", lease_until=T0 + LEASE)

    assert await record((10, BIG_USER)) == {10: False}
    assert await record((11, BIG_USER), (20, 8), (30, None)) == {11: True, 20: False, 30: False}
    async with sessionmaker() as session, session.begin():
        await inbox.mark_handled(session, channel="telegram", update_id=10, now=T0)
    assert await record((12, BIG_USER)) == {12: True}  # 11 is still unhandled
    async with sessionmaker() as session, session.begin():
        for update_id in (11, 12):
            await inbox.mark_handled(session, channel="telegram", update_id=update_id, now=T0)
    assert await record((13, BIG_USER), (31, None)) == {13: False, 31: False}
    assert await record((9, BIG_USER)) == {9: False}  # late and first: nothing before it
    assert await record((12, BIG_USER)) == {}  # a duplicate


async def test_take_keeps_each_users_order_and_respects_leases(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.record(session, channel="telegram", now=T0, worker=None, lease_until=None,
                           rows=rows((1, BIG_USER), (2, BIG_USER), (3, 8), (4, None), (5, None)))
    async with sessionmaker() as session, session.begin():
        taken = await inbox.take(session, channel="telegram", worker="a:1", now=T0,
                                 lease_until=T0 + LEASE, limit=10)
    # The user's second update waits for the first; updates without a user never wait.
    assert [r.update_id for r in taken] == [1, 3, 4, 5]
    assert {r.attempts for r in taken} == {1} and {r.payload for r in taken} >= {"cipher1"}
    async with sessionmaker() as session, session.begin():
        assert await inbox.take(session, channel="telegram", worker="b:2", now=T0,
                                lease_until=T0 + LEASE, limit=10) == []
        assert await inbox.waits_for_earlier(session, channel="telegram", user_id=BIG_USER,
                                             update_id=2)
        assert await inbox.mark_handled(session, channel="telegram", update_id=1, now=T0)
        assert not await inbox.mark_handled(session, channel="telegram", update_id=1, now=T0)
    later = T0 + LEASE + timedelta(seconds=1)  # a:1 died: its lease ran out
    async with sessionmaker() as session, session.begin():
        resumed = await inbox.take(session, channel="telegram", worker="b:2", now=later,
                                   lease_until=later + LEASE, limit=10)
    assert [r.update_id for r in resumed] == [2, 3, 4, 5]
    assert [r.attempts for r in resumed] == [1, 2, 2, 2]
    async with sessionmaker() as session, session.begin():
        handled = await session.get(inbox.UpdateRecord, ("telegram", 1))
        assert handled is not None and handled.payload is None  # cleared once handled
        assert await inbox.release(session, channel="telegram", worker="b:2",
                                   update_ids=[2]) == 1
        assert await inbox.renew(session, channel="telegram", worker="b:2",
                                 lease_until=later + 2 * LEASE) == 3
        assert await inbox.unhandled_count(session, channel="telegram") == 4


async def test_handled_rows_are_purged_after_a_few_days(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.record(session, channel="telegram", rows=rows((1, 5), (2, 5), (3, 5)),
                           now=T0, worker=None, lease_until=None)
        await inbox.mark_handled(session, channel="telegram", update_id=1, now=T0)
        await inbox.mark_handled(session, channel="telegram", update_id=2,
                                 now=T0 + INBOX_KEEP)
    async with sessionmaker() as session, session.begin():
        report = await purge(session, due=[], now=T0 + INBOX_KEEP + timedelta(hours=1),
                             silent_since=T0)
        assert report.counts["update_inbox"] == 1
        assert await inbox.unhandled_count(session, channel="telegram") == 1


async def test_a_claim_marks_the_row_and_reads_the_users_row_along(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        await inbox.record(session, channel="telegram", rows=rows((1, BIG_USER), (2, 8), (3, 8)),
                           now=T0, worker="a:1", lease_until=T0 + LEASE)
        await touch_user(session, user_id=BIG_USER, first_name="张", last_name=None,
                         username="zhang", now=T0)
    async with sessionmaker() as session, session.begin():
        marked, user = await inbox.claim(session, channel="telegram", update_id=1, now=T0,
                                         user_id=BIG_USER)
        assert marked and user is not None and user.username == "zhang"
        assert await session.get(User, BIG_USER) is user  # in the session: no second read
        assert await inbox.claim(session, channel="telegram", update_id=2, now=T0,
                                 user_id=8) == (True, None)  # no such user yet
        assert await inbox.claim(session, channel="telegram", update_id=3, now=T0,
                                 user_id=None) == (True, None)
    async with sessionmaker() as session, session.begin():
        again, user = await inbox.claim(session, channel="telegram", update_id=1, now=T0,
                                        user_id=BIG_USER)
        assert not again and user is not None  # handled already; the row is still read
        assert await inbox.unhandled_count(session, channel="telegram") == 0
        handled = await session.get(inbox.UpdateRecord, ("telegram", 1))
    assert handled is not None and handled.payload is None and handled.handled_at is not None


async def test_recording_one_update_on_the_driver_is_recording(engine) -> None:
    """record_alone (PostgreSQL's single-update insert, run by asyncpg on a pooled connection)
    answers as record does, and the row is there at once (it committed alone)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("asyncpg only")

    async def alone(update_id: int, user: int | None) -> dict[int, bool]:
        async with driver_connection(engine) as driver:
            return await inbox.record_alone(driver, channel="telegram",
                                            row=rows((update_id, user))[0], now=T0,
                                            worker="a:1", lease_until=T0 + LEASE)

    assert await alone(10, BIG_USER) == {10: False}
    assert await alone(11, BIG_USER) == {11: True}  # 10 is still unhandled
    assert await alone(11, BIG_USER) == {}  # a duplicate
    assert await alone(30, None) == {30: False}
    async with make_sessionmaker(engine)() as session:
        kept = await session.get(inbox.UpdateRecord, ("telegram", 11))
    assert kept is not None and (kept.worker, kept.attempts, kept.payload) == ("a:1", 1,
                                                                                "cipher11")
    assert kept.received_at == T0 and kept.lease_until == T0 + LEASE


async def test_a_driver_connection_that_failed_leaves_the_pool(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("asyncpg only")
    with pytest.raises(Exception, match="syntax"):
        async with driver_connection(engine) as driver:
            first = driver
            await driver.fetch("SELEC 1")
    async with driver_connection(engine) as driver:
        assert driver is not first and await driver.fetchval("SELECT 1") == 1
    async with driver_connection(engine) as again:
        assert again is driver  # a good one goes back to the pool
