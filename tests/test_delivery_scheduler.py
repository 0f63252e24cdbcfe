"""The scheduler only wakes `tick`; ticks at once, or from two places, still send each once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import SHANGHAI, parse_moment
from bot.scheduler import TICK_JOB_ID, start_scheduler, tick
from storage import delivery as ledger
from tests.delivery_helpers import add_users
from tests.harness import Harness


async def test_scheduler_job_is_set_on_purpose_and_runs_at_start(harness: Harness) -> None:
    await add_users(harness.services.sessionmaker, [1, 2])
    async with harness.services.sessionmaker() as session, session.begin():
        await ledger.enqueue(session, key="b", kind="broadcast", text="通知", recipients=[1, 2],
                             now=harness.clock.now())
    scheduler = start_scheduler(harness.services, harness.bot, seconds=3600)
    try:
        job = scheduler.get_job(TICK_JOB_ID)
        assert str(scheduler.timezone) == str(SHANGHAI)
        assert job.misfire_grace_time is None and job.coalesce and job.max_instances == 1
        for _ in range(100):  # the first run is due at once: catch up after downtime
            if len([c for c in harness.session.calls if c.method == "sendMessage"]) == 2:
                break
            await asyncio.sleep(0.02)
        sent = sorted(int(c.chat_id) for c in harness.session.calls if c.method == "sendMessage")
        assert sent == [1, 2]
        # Starting again (a reload) replaces the job instead of adding a second one.
        scheduler.add_job(lambda: None, id=TICK_JOB_ID, replace_existing=True)
        assert [j.id for j in scheduler.get_jobs()].count(TICK_JOB_ID) == 1
    finally:
        # The tick may still be writing its results: let it finish before shutdown cancels it
        # and the engine goes, or its connection is dropped mid-use and leaks (a
        # ResourceWarning in a later test).
        await _running_jobs_done()
        scheduler.shutdown(wait=False)


async def _running_jobs_done() -> None:
    for _ in range(500):
        running = [t for t in asyncio.all_tasks()
                   if getattr(t.get_coro(), "__name__", "") == "run_coroutine_job"]
        if not running:
            return
        await asyncio.gather(*running, return_exceptions=True)


async def test_concurrent_ticks_send_once(harness: Harness) -> None:
    await add_users(harness.services.sessionmaker, range(1, 21), slug="xiaogan-2023")
    now = parse_moment("2023-06-27T09:00")
    summaries = await asyncio.gather(*(tick(harness.services, harness.bot, now)
                                       for _ in range(3)))
    assert sum(len(s.planned) for s in summaries) == 2  # closes + closes_official, once each
    sent = [int(c.chat_id) for c in harness.session.calls if c.method == "sendMessage"]
    assert sorted(sent) == list(range(1, 21))


async def test_a_second_process_does_not_tick_at_the_same_time(harness: Harness) -> None:
    from bot.scheduler import exclusive

    engine = harness.services.engine
    async with exclusive(engine) as first:
        assert first
        if engine.dialect.name != "postgresql":
            return  # SQLite: one process; ticks in it are serialised by the sender's lock
        summary = await tick(harness.services, harness.bot, parse_moment("2023-06-27T09:00"))
        assert summary.busy and summary.planned == []
    summary = await tick(harness.services, harness.bot, parse_moment("2023-06-27T09:00"))
    assert not summary.busy


async def test_readyz_names_the_worker_that_ticked_last_between_ticks(harness: Harness) -> None:
    from bot.http import Health
    from bot.update_inbox import worker_name

    health = Health(harness.services, harness.bot, harness.dispatcher.storage,
                    scheduler_here=True)
    _, ready = await health.readiness()
    assert ready["scheduler"] == {"here": True, "holder": None, "last_tick": None}
    now = harness.clock.now()
    await tick(harness.services, harness.bot, now)
    # The tick is over, so nobody holds its lock (on PostgreSQL it is taken per tick): the
    # worker that ran it is still named as the scheduler.
    _, ready = await health.readiness()
    assert ready["scheduler"] == {"here": True, "holder": worker_name(), "last_tick": {
        "worker": worker_name(), "at": now.isoformat()}}
    # Three intervals without a tick: no scheduler is named, the last tick still is.
    harness.clock.advance(timedelta(seconds=91))
    _, ready = await health.readiness()
    assert ready["scheduler"]["holder"] is None
    assert ready["scheduler"]["last_tick"]["worker"] == worker_name()
