"""A stop lets the scheduler's tick in progress finish (APScheduler's own shutdown cancels a
coroutine job it runs), within a bound."""

from __future__ import annotations

import asyncio
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_STOPPED

from bot.clock import SHANGHAI
from bot.serve import _finish_tick


def _scheduler_running(job: object) -> AsyncIOScheduler:
    jobs = AsyncIOScheduler(timezone=SHANGHAI)
    jobs.add_job(job, "interval", seconds=30, next_run_time=datetime.now(SHANGHAI))
    jobs.start()
    return jobs


async def test_the_tick_in_progress_finishes() -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def tick() -> None:
        started.set()
        await asyncio.sleep(0.5)  # sending, say
        finished.set()

    jobs = _scheduler_running(tick)
    await asyncio.wait_for(started.wait(), 5)
    await _finish_tick(jobs, timeout=5)
    assert finished.is_set() and jobs.state == STATE_STOPPED


async def test_a_tick_past_the_bound_is_cancelled() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def tick() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    jobs = _scheduler_running(tick)
    await asyncio.wait_for(started.wait(), 5)
    await _finish_tick(jobs, timeout=0.2)
    await asyncio.wait_for(cancelled.wait(), 5)
    assert jobs.state == STATE_STOPPED
