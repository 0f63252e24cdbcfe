"""The inbox's queries on SQLite and PostgreSQL: duplicates ignored, leases, a user's order."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import update_inbox as inbox
from storage.retention import INBOX_KEEP, purge
from storage.types import SHANGHAI
from storage.update_inbox import NewUpdate

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
