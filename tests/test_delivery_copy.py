"""Announcements in the ledger: copies (copyMessage) once per recipient across restarts, a second
worker and a crash mid-drain; stopping one; urgent ones at night; a deleted source."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.delivery import Sender
from storage import delivery as ledger
from tests.delivery_helpers import NOW, ScaledTime, TimedSession, add_users, make_bot

SOURCE = (900, 77)  # the composed announcement in a coordinator's chat


async def enqueue_copy(sessionmaker, key: str, ids, *, urgent: bool = False) -> None:
    async with sessionmaker() as session, session.begin():
        await ledger.enqueue(session, key=key, kind="broadcast", text="copy", recipients=ids,
                             now=NOW, copy_from=SOURCE, urgent=urgent)


def with_source(session: TimedSession) -> TimedSession:
    from aiogram.types import Chat, Message

    from bot.recording import BOT_USER
    session.remember(Message(message_id=SOURCE[1], date=NOW, chat=Chat(id=SOURCE[0],
                             type="private"), from_user=BOT_USER, text="【孝感市 2023】明天审核"))
    return session


def copied_to(session: TimedSession) -> list[int]:
    return [int(c.chat_id) for c in session.calls
            if c.method == "copyMessage" and c.result is not None]


@pytest.fixture
def time() -> ScaledTime:
    return ScaledTime(10.0)


async def test_copies_once_across_drains_and_a_second_worker(sessionmaker, time):
    ids = list(range(1, 31))
    await add_users(sessionmaker, ids)
    await enqueue_copy(sessionmaker, "bc:1", ids)
    session = with_source(TimedSession(time))
    first = Sender(make_bot(session), sessionmaker, rate=1000, now=lambda: NOW,
                   monotonic=time.monotonic, sleep=time.sleep)
    await asyncio.gather(first.drain(), first.drain())  # a second drain in the same process
    report = await Sender(make_bot(session), sessionmaker, rate=1000, now=lambda: NOW,
                          monotonic=time.monotonic, sleep=time.sleep).drain()  # a restart
    assert report.sent == 0
    assert sorted(copied_to(session)) == ids
    call = next(c for c in session.calls if c.method == "copyMessage")
    assert (int(call.params["from_chat_id"]), int(call.params["message_id"])) == SOURCE
    assert "parse_mode" not in call.params and call.text == "【孝感市 2023】明天审核"


async def test_a_crash_mid_drain_repeats_at_most_the_calls_in_flight(sessionmaker):
    ids = list(range(1, 201))
    await add_users(sessionmaker, ids)
    await enqueue_copy(sessionmaker, "bc:1", ids)
    session = with_source(TimedSession())
    first = Sender(make_bot(session), sessionmaker, rate=400, max_in_flight=4)
    task = asyncio.create_task(first.drain())
    while len(copied_to(session)) < 50:
        await asyncio.sleep(0.005)
    # A crash: the task dies with its calls, nothing handed back, claimed rows left in `sending`.
    for in_flight in list(first.in_flight):
        in_flight.cancel()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with sessionmaker() as s, s.begin():  # as the dead process left it: claims held
        await s.exec(ledger.update(ledger.Delivery)
                     .where(ledger.col(ledger.Delivery.status) == ledger.PENDING,
                            ledger.col(ledger.Delivery.id) <= 120)
                     .values(status=ledger.SENDING))
    report = await Sender(make_bot(session), sessionmaker, rate=400).drain()
    assert report.recovered > 0
    counts = Counter(copied_to(session))
    assert set(counts) == set(ids)  # none lost
    assert sum(n - 1 for n in counts.values()) <= 4  # at most the in-flight calls repeated


async def test_stopping_drops_pending_and_claimed_rows(sessionmaker, time):
    ids = list(range(1, 41))
    await add_users(sessionmaker, ids)
    await enqueue_copy(sessionmaker, "bc:1", ids)
    session = with_source(TimedSession(time))
    stopped = asyncio.Event()

    original = session.make_request

    async def slow(bot, method, timeout=None):  # noqa: ANN001, ANN202
        result = await original(bot, method, timeout)
        if len(copied_to(session)) == 10 and not stopped.is_set():
            async with sessionmaker() as s, s.begin():
                await ledger.cancel(s, key="bc:1", now=NOW)
            stopped.set()
        await asyncio.sleep(0.01)
        return result

    session.make_request = slow
    report = await Sender(make_bot(session), sessionmaker, rate=1000, max_in_flight=2,
                          cancel_check_interval=0.0, now=lambda: NOW).drain()
    sent = len(copied_to(session))
    assert 10 <= sent <= 12  # the calls in flight when it was stopped
    async with sessionmaker() as s:
        counts = await ledger.status_counts(s, key="bc:1")
    assert counts == {ledger.SENT: sent, ledger.CANCELLED: 40 - sent}
    assert report.cancelled + sent <= 40


async def test_only_urgent_messages_go_in_the_quiet_hours(sessionmaker, time):
    await add_users(sessionmaker, [1, 2])
    await enqueue_copy(sessionmaker, "bc:plain", [1])
    await enqueue_copy(sessionmaker, "bc:urgent", [2], urgent=True)
    session = with_source(TimedSession(time))
    await Sender(make_bot(session), sessionmaker, rate=1000, urgent_only=True, now=lambda: NOW,
                 monotonic=time.monotonic, sleep=time.sleep).drain()
    assert copied_to(session) == [2]
    async with sessionmaker() as s:
        assert await ledger.status_counts(s, key="bc:plain") == {ledger.PENDING: 1}


async def test_a_deleted_source_stops_the_whole_message(sessionmaker, time):
    await add_users(sessionmaker, [1, 2, 3])
    await enqueue_copy(sessionmaker, "bc:1", [1, 2, 3])
    session = TimedSession(time)  # the source is not there: Telegram says so
    report = await Sender(make_bot(session), sessionmaker, rate=1000, max_in_flight=1,
                          now=lambda: NOW, monotonic=time.monotonic, sleep=time.sleep).drain()
    assert report.failed == 1 and len(session.calls) == 1
    async with sessionmaker() as s:
        counts = await ledger.status_counts(s, key="bc:1")
    assert counts == {ledger.FAILED: 1, ledger.CANCELLED: 2}
