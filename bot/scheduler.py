"""What runs on its own: every few seconds, plan the due reminders and drain the delivery ledger.

The ledger and the content are the source of truth, not APScheduler. Measured in a prototype
(issue 6): with APScheduler's default misfire_grace_time of 1 s, a date job whose time passed while
the process was down is dropped silently, and two schedulers on one job store both run a job. So
there are no date jobs per reminder: one interval job wakes `tick`, which asks the planner what is
due *now* (missed reminders still relevant are caught up after downtime, stale ones never go) and
lets the ledger's unique keys refuse anything already planned. Exactly one process schedules;
extra workers run `zhaolu run --no-scheduler`, and on PostgreSQL an advisory lock makes a second
scheduler's tick a no-op instead of a second sender; on a SQLite file a file lock beside it does
the same (bot/scheduler_lock.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from aiogram import Bot
from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import announce_delivery
from bot.announce_delivery import plan_scheduled, refresh_cards, watch_progress
from bot.api_retry import record_undelivered_to
from bot.clock import SHANGHAI
from bot.delivery import Sender
from bot.delivery_results import SendReport
from bot.scheduler_lock import SUFFIX, SchedulerFileLock, refused_line
from bot.staff_menus import sync_menus
from bot.update_inbox import worker_name
from content.reminders import due_now, in_quiet_hours, quiet_hours_start, render, reply_markup
from storage.delivery import enqueue, existing_keys, expire_stale
from storage.retention import PurgeReport, run_purge
from storage.scheduler_state import record_tick
from storage.subscriptions import audience_user_ids

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)
TICK_JOB_ID = "zhaolu.tick"
TICK_SECONDS = 30
TICK_LOCK_ID = 0x7A686C7469636B  # "zhltick": any constant shared by every process
PURGE_JOB_ID = "zhaolu.purge"
PURGE_AT = {"hour": 3, "minute": 30}  # Asia/Shanghai, daily: the quietest hour


@dataclass
class TickSummary:
    planned: list[tuple[str, int]] = field(default_factory=list)  # (message key, recipients)
    report: SendReport = field(default_factory=SendReport)
    busy: bool = False  # another process holds the tick
    quiet: bool = False  # 22:00-08:00: nothing planned, only urgent announcements sent
    expired: int = 0  # pending rows dropped because their event was over
    announcements: list[int] = field(default_factory=list)  # scheduled ones started now
    finished: list[int] = field(default_factory=list)  # announcements whose sending ended

    def __str__(self) -> str:
        if self.busy:
            return "another process is ticking; nothing done here"
        planned = ", ".join(f"{key} → {n}" for key, n in self.planned)
        parts = [f"planned: {planned or 'nothing new'}", f"sent: {self.report}"]
        if self.quiet:
            parts[0] = "quiet hours (22:00-08:00): only urgent announcements go until 08:00"
        if self.announcements:
            parts.append("announcements started: " + ", ".join(f"#{i}" for i in
                                                                self.announcements))
        if self.finished:
            parts.append("announcements finished: " + ", ".join(f"#{i}" for i in self.finished))
        if self.expired:
            parts.append(f"expired: {self.expired}")
        return "; ".join(parts)


@asynccontextmanager
async def exclusive(engine: AsyncEngine) -> AsyncIterator[bool]:
    """On PostgreSQL, whether this process holds the tick (a session advisory lock, released
    when the connection closes, so a crashed holder frees it). Two senders at once would each
    take the other's claimed rows for a crash's leftovers. SQLite serves one process."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as connection:
        result = await connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({TICK_LOCK_ID})")
        held = bool(result.scalar())
        await connection.commit()  # the lock outlives the transaction; no idle transaction
        try:
            yield held
        finally:
            if held:
                await connection.exec_driver_sql(f"SELECT pg_advisory_unlock({TICK_LOCK_ID})")
                await connection.commit()


async def plan_due(services: Services, now: datetime) -> list[tuple[str, int]]:
    """Put every reminder due at `now` and not yet planned into the ledger, with its audience."""
    planned: list[tuple[str, int]] = []
    async with services.sessionmaker() as session, session.begin():
        for campaign in services.catalogue.all():
            due = due_now(campaign, now, services.texts)
            known = await existing_keys(session, keys=[o.key for o in due])
            for occurrence in due:
                if occurrence.key in known:
                    continue
                recipients = await audience_user_ids(
                    session, slug=campaign.slug, audiences=occurrence.reminder.audience)
                added = await enqueue(
                    session, key=occurrence.key, kind="reminder", campaign_slug=campaign.slug,
                    text=render(campaign, occurrence, now, services.texts),
                    reply_markup=json.dumps(reply_markup(campaign, services.texts),
                                            ensure_ascii=False),
                    recipients=recipients, now=now, not_after=occurrence.deadline)
                if added is not None:  # else another tick planned it just now
                    planned.append((occurrence.key, added))
    return planned


async def tick(services: Services, bot: Bot, now: datetime) -> TickSummary:
    """Plan the reminders and announcements due at `now`, then send everything pending.

    Safe to call again. In the quiet hours only urgent announcements go; a drain still going at
    22:00 stops there and the rest waits for the first tick at 08:00."""
    async with exclusive(services.engine) as mine:
        if not mine:
            return TickSummary(busy=True)
        quiet = in_quiet_hours(now)
        async with services.sessionmaker() as session, session.begin():
            # Who ticks, for /readyz between ticks (the advisory lock is held only during one).
            await record_tick(session, worker=worker_name(), now=now)
            expired = await expire_stale(session, now=now)
        # Nothing is planned for the night: what is due waits for 08:00 (and is dropped then if
        # its event is over by that time: the planner and `not_after` see to it).
        planned = [] if quiet else await plan_due(services, now)
        summary = TickSummary(planned=planned, expired=expired, quiet=quiet,
                              announcements=await plan_scheduled(services, bot, now))
        sender = Sender(bot, services.sessionmaker, rate=services.settings.send_rate,
                        now=services.clock.now, urgent_only=quiet,
                        until=None if quiet else quiet_hours_start(now))
        shown: dict[int, str] = {}
        watcher = asyncio.create_task(watch_progress(services, bot, shown=shown,
                                                     every=announce_delivery.PROGRESS_SECONDS))
        try:
            summary.report = await sender.drain()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        summary.finished = await refresh_cards(services, bot, services.clock.now(), shown=shown)
        await sync_menus(services.sessionmaker, bot, services.texts)
    return summary


async def _tick_job(services: Services, bot: Bot, lock: SchedulerFileLock | None = None) -> None:
    if not _scheduling(lock):
        return
    try:
        summary = await tick(services, bot, services.clock.now())
    except Exception:  # the next tick tries again; the ledger keeps what was done
        log.exception("tick failed")
        return
    if summary.planned or summary.announcements or summary.finished or \
            str(summary.report) != str(SendReport()):
        log.info("tick: %s", summary)


def _scheduling(lock: SchedulerFileLock | None) -> bool:
    """Whether this process schedules: always on PostgreSQL (tick's advisory lock decides),
    on a SQLite file while it holds the file lock, taken over when its holder stopped."""
    if lock is None or lock.held:
        return True
    if lock.acquire():
        log.info("scheduler: took the scheduling over for %s (its previous holder stopped)",
                 lock.path.name.removesuffix(SUFFIX))
        return True
    return False


async def _purge_job(services: Services, lock: SchedulerFileLock | None = None) -> None:
    if _scheduling(lock):
        await purge_job(services)


async def purge_job(services: Services) -> PurgeReport | None:
    """Retention, daily (storage/retention.py; `zhaolu purge` by hand): counts only are logged."""
    try:
        report, _, unknown = await run_purge(services.sessionmaker, services.catalogue.all(),
                                             services.clock.now())
    except Exception:  # tomorrow's run tries again; nothing half-done (one transaction)
        log.exception("purge failed")
        return None
    done = ", ".join(f"{t} {report.action(t)} {n}" for t, n in report.counts.items() if n)
    if done:
        log.info("purge: %s", done)
    if unknown:
        log.warning("purge: no campaign file for %s, their rows are kept", ", ".join(unknown))
    return report


def start_scheduler(services: Services, bot: Bot, *,
                    seconds: float = TICK_SECONDS) -> AsyncIOScheduler:
    """Start the one scheduler; call it inside the running event loop (it binds to that loop).

    On a SQLite file a second process's scheduler is refused (bot/scheduler_lock.py): one log
    line, then its jobs do nothing until it can take the file lock over."""
    record_undelivered_to(bot, services.sessionmaker)  # the ticks' calls given up (api_retry)
    scheduler = AsyncIOScheduler(timezone=SHANGHAI)
    lock = SchedulerFileLock.beside(services.engine)
    if lock is not None:
        if not lock.acquire():
            log.warning(refused_line(lock))
        scheduler.add_listener(lambda _event: lock.release(), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.add_job(
        _tick_job, IntervalTrigger(seconds=seconds, timezone=SHANGHAI), args=(services, bot, lock),
        id=TICK_JOB_ID, replace_existing=True,
        # A run delayed by a busy loop still runs (None = no grace limit), and runs piled up
        # while it was delayed collapse into one (coalesce): tick is idempotent, once is enough.
        misfire_grace_time=None, coalesce=True,
        # A long drain (a broadcast to thousands at 25/s) must not overlap the next tick.
        max_instances=1,
        # First run at start: catch up whatever came due while the process was down.
        next_run_time=datetime.now(SHANGHAI),
    )
    # Once at start (a process restarted every night would otherwise never reach 03:30), then
    # daily; idempotent, so a run more or less changes nothing.
    scheduler.add_job(
        _purge_job, CronTrigger(**PURGE_AT, timezone=SHANGHAI), args=(services, lock),
        id=PURGE_JOB_ID, replace_existing=True, misfire_grace_time=None, coalesce=True,
        max_instances=1, next_run_time=datetime.now(SHANGHAI))
    scheduler.start()

    def wake() -> None:
        """Run the tick now (something was queued to go at once); a tick already running
        takes it up, or the next one does."""
        job = scheduler.get_job(TICK_JOB_ID)
        if job is not None:
            job.modify(next_run_time=datetime.now(SHANGHAI))

    services.wake_sender = wake
    return scheduler
