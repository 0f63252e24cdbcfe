"""The transactional inbox at work: record updates before they are acknowledged, then handle them.

Polling and the webhook hand every batch to `UpdateInbox.receive`, which writes the updates not
seen before (storage/update_inbox.py, payload encrypted) and commits; only then is Telegram told
(the next offset, a 200). The new rows are leased to this worker and queued in memory, one queue
per user: a user's updates run one at a time, in update_id order, at most HANDLERS at once in all.
Before an update runs, the database is asked whether an earlier update of the same user is still
unhandled (held by another worker, or left by one that died): then this user's queue is given
back, and the sweeper takes the user's oldest row when it is free. The question is not asked
for an update that had no earlier one unhandled when it was recorded (the insert says so), nor
for one the sweeper took (it takes a user's oldest only): no earlier update becomes unhandled
later, unless Telegram delivered one out of order, which a check at handling time could miss
as well. The sweeper also resumes rows left by a worker killed mid-way (its lease ran out),
rows given back by a stopping worker, and rows recorded while this worker had enough in
memory. Leases are renewed while the worker lives.

An update is marked handled as the first write of the handler's own transaction
(bot/middlewares.py), which commits before the handler's first Bot API request
(bot/update_session.py) or at its end: a crash before that leaves the update unhandled, to be
handled again with nothing of it written or sent; after it, the update counts as handled with
what it wrote (what the user was told), never replayed. One whose handler failed (the user got
the error reply) is marked handled on its own, so a failure is not replayed at the user either.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import Update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import update_inbox as rows
from storage.crypto import VaultError, vault_for
from storage.engine import driver_connection
from storage.fsm import fsm_reads_cached
from storage.models import User
from storage.update_inbox import NewUpdate

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)
CHANNEL = "telegram"
HANDLERS = 32  # updates handled at once by one worker (each holds a database connection a while)
BACKLOG = 1000  # updates kept in memory; beyond, they wait in the database for the sweeper
LEASE = timedelta(seconds=10)  # a killed worker's rows are resumed by others this long after
RENEW_SECONDS = 3.0
SWEEP_SECONDS = 0.5
MAX_ATTEMPTS = 5  # takes of one update by workers that then died, before it is dropped


_NONCE = secrets.token_hex(2)


def worker_name() -> str:
    """host:pid:nonce, as the inbox's `worker` column and /readyz name this process. The nonce
    keeps two containers apart that share a hostname and a pid (host networking, pid 1 each)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{_NONCE}"


def user_of(update: Update) -> int | None:
    """Whose update this is (aiogram's own answer, the one its FSM and isolation use)."""
    return UserContextMiddleware.resolve_event_context(update).user_id


@dataclass
class InboxEntry:
    """The update being handled, for the DatabaseMiddleware (passed to feed_update as
    `inbox_entry`): it marks the row handled as the first write of the update's transaction."""

    channel: str
    update_id: int
    committed: bool = False  # the handler's transaction, mark included, committed at its end

    async def claim(self, session: AsyncSession, now: datetime, *,
                    user_id: int | None = None) -> tuple[bool, User | None]:
        """Mark the row handled in `session`'s transaction; False when it was handled already
        (another worker took it over): then the update is not handled again. On PostgreSQL the
        row stays locked until this transaction ends, so two workers never both go on. With
        `user_id`, that user's row is read along (None: there is none yet)."""
        marked, user = await rows.claim(session, channel=self.channel, update_id=self.update_id,
                                        now=now, user_id=user_id)
        if not marked:
            log.info("update %s was handled by another worker already; skipped", self.update_id)
        return marked, user


@dataclass
class _Queue:
    """One user's updates in memory, oldest first."""

    items: list[tuple[int, Update]] = field(default_factory=list)
    ids: set[int] = field(default_factory=set)
    # Those no earlier update of the user was unhandled before (no order check: module doc).
    in_order: set[int] = field(default_factory=set)

    def add(self, update: Update, *, in_order: bool = False) -> bool:
        """Queue the update; False when it is queued already."""
        if update.update_id in self.ids:
            return False
        self.ids.add(update.update_id)
        if in_order:
            self.in_order.add(update.update_id)
        heapq.heappush(self.items, (update.update_id, update))
        return True

    def pop(self) -> tuple[Update, bool]:
        """The oldest update, and whether it is known to be in order."""
        update_id, update = heapq.heappop(self.items)
        self.ids.discard(update_id)
        in_order = update_id in self.in_order
        self.in_order.discard(update_id)
        return update, in_order

    def clear(self) -> None:
        self.items.clear()
        self.ids.clear()
        self.in_order.clear()


class UpdateInbox:
    def __init__(self, services: Services, dispatcher: Dispatcher, bot: Bot, *,
                 channel: str = CHANNEL, handlers: int = HANDLERS) -> None:
        self.services = services
        self.dispatcher = dispatcher
        self.bot = bot
        self.channel = channel
        self.worker = worker_name()
        self.handled = 0  # updates handled by this worker since start
        self._slots = asyncio.Semaphore(handlers)
        self._queues: dict[Any, _Queue] = {}
        self._tasks: dict[Any, asyncio.Task[None]] = {}
        # Updates in the queues, counted as they come and go: `backlog` is read for every update
        # received, and summing the queues then took ~1% of a loaded worker's CPU (issue 15).
        self._queued = 0
        self._running = 0
        self._accepting = True
        self._loops: list[asyncio.Task[None]] = []
        self._sweep_now = asyncio.Event()
        # A statement that stands alone needs no transaction around it: on PostgreSQL, recording
        # one update and the wait check run in autocommit, without the BEGIN and COMMIT (or
        # ROLLBACK) round trips (~270 and ~90 µs of a worker's CPU per update; issue 15). SQLite
        # keeps its transactions (aiosqlite would set the isolation level at every checkout).
        engine = services.engine
        self._autocommit = (engine.execution_options(isolation_level="AUTOCOMMIT")
                            if engine.dialect.name == "postgresql" else None)

    @property
    def backlog(self) -> int:
        """Updates in memory: queued or being handled."""
        return self._queued + self._running

    def now(self) -> datetime:
        return self.services.clock.now()

    def start(self) -> None:
        self._loops = [asyncio.create_task(self._sweep_loop(), name="inbox sweeper"),
                       asyncio.create_task(self._renew_loop(), name="inbox leases")]

    # -- receiving --------------------------------------------------------------------------------

    async def receive(self, updates: list[Update], raw: list[str] | None = None) -> int:
        """Record the updates (a duplicate update_id is ignored) and commit; then queue the new
        ones here. Returns how many were new. `raw`: the updates' JSON as it arrived."""
        if not updates:
            return 0
        vault = vault_for(self.services.settings)
        texts = raw or [u.model_dump_json(exclude_none=True) for u in updates]
        new = [NewUpdate(u.update_id, user_of(u), vault.encrypt(text))
               for u, text in zip(updates, texts, strict=True)]
        keep = self._accepting and self.backlog < BACKLOG
        now = self.now()
        worker, lease_until = (self.worker, now + LEASE) if keep else (None, None)
        if len(new) == 1 and self._autocommit is not None:
            # One update (the webhook's) on PostgreSQL: one statement alone, run by asyncpg
            # on a pooled connection in no transaction (storage/update_inbox.py record_alone).
            async with driver_connection(self.services.engine) as driver:
                added = await rows.record_alone(driver, channel=self.channel, row=new[0],
                                                now=now, worker=worker, lease_until=lease_until)
        else:  # No ORM session: a Core insert, the batch in one transaction.
            async with self.services.engine.begin() as connection:
                added = await rows.record(connection, channel=self.channel, rows=new, now=now,
                                          worker=worker, lease_until=lease_until)
        for update in updates:
            if update.update_id in added:
                if keep:
                    self._enqueue(update, in_order=not added[update.update_id])
                else:
                    self._sweep_now.set()
        if len(added) < len(updates):
            log.info("ignored %d update(s) already in the inbox", len(updates) - len(added))
        return len(added)

    def _enqueue(self, update: Update, *, in_order: bool = False) -> None:
        user = user_of(update)
        key = user if user is not None else ("update", update.update_id)
        if self._queues.setdefault(key, _Queue()).add(update, in_order=in_order):
            self._queued += 1
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._drain(key, user))

    # -- handling ---------------------------------------------------------------------------------

    async def _drain(self, key: Any, user: int | None) -> None:
        """Handle one user's queued updates in order, one at a time."""
        queue = self._queues[key]
        try:
            while queue.items and self._accepting:
                update, in_order = queue.pop()
                self._queued -= 1
                async with self._slots:
                    if not self._accepting:
                        # stays leased; given back when the worker stops
                        queue.add(update, in_order=in_order)
                        self._queued += 1
                        break
                    self._running += 1
                    try:
                        if not in_order and await self._must_wait(user, update.update_id):
                            await self._give_back([update.update_id, *queue.ids])
                            self._queued -= len(queue.items)
                            queue.clear()
                            break
                        await self._handle(update)
                    finally:
                        self._running -= 1
        finally:
            self._tasks.pop(key, None)
            if not queue.items:
                self._queues.pop(key, None)

    async def _must_wait(self, user: int | None, update_id: int) -> bool:
        if user is None:
            return False
        async with (self._autocommit or self.services.engine).connect() as connection:
            return await rows.waits_for_earlier(connection, channel=self.channel, user_id=user,
                                                update_id=update_id)

    async def _handle(self, update: Update) -> None:
        entry = InboxEntry(self.channel, update.update_id)
        try:
            with fsm_reads_cached():  # the user's lock is held throughout (storage/fsm.py)
                await self.dispatcher.feed_update(self.bot, update, inbox_entry=entry)
        except Exception:  # the error handler answers first; this is what even it let through
            log.exception("update %s failed", update.update_id)
        if not entry.committed:
            # The handler failed (the user was told; what it wrote before its first reply is
            # kept, the rest rolled back): marked on its own, not replayed at the user.
            async with self.services.sessionmaker() as session, session.begin():
                await rows.mark_handled(session, channel=self.channel,
                                        update_id=update.update_id, now=self.now())
        self.handled += 1

    async def _give_back(self, update_ids: list[int]) -> None:
        async with self.services.sessionmaker() as session, session.begin():
            await rows.release(session, channel=self.channel, worker=self.worker,
                               update_ids=update_ids)
        self._sweep_now.set()

    # -- the sweeper and the leases ---------------------------------------------------------------

    async def _sweep_loop(self) -> None:
        while self._accepting:
            try:
                taken = await self.sweep()
            except Exception:  # the database is away: the next sweep tries again
                log.exception("inbox sweep failed")
                taken = 0
            if not taken:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._sweep_now.wait(), SWEEP_SECONDS)
                self._sweep_now.clear()

    async def sweep(self) -> int:
        """Take free rows (each its user's oldest unhandled) into memory, as room allows."""
        room = min(BACKLOG - self.backlog, 100)
        if room <= 0 or not self._accepting:
            return 0
        now = self.now()
        async with self.services.sessionmaker() as session, session.begin():
            taken = await rows.take(session, channel=self.channel, worker=self.worker, now=now,
                                    lease_until=now + LEASE, limit=room)
            parsed = [(record.update_id, self._usable(record)) for record in taken]
            for update_id, update in parsed:
                if update is None:  # never readable, or a worker died with it each time
                    await rows.mark_handled(session, channel=self.channel,
                                            update_id=update_id, now=now)
        for _, update in parsed:
            if update is not None:
                self._enqueue(update, in_order=True)  # each its user's oldest unhandled
        if taken:
            log.info("inbox: took %d unhandled update(s)", len(taken))
        return len(taken)

    def _usable(self, record: rows.UpdateRecord) -> Update | None:
        """The update to handle, or None to drop it: unreadable, or taken MAX_ATTEMPTS times
        already without being handled (each worker that took it died: an update that kills
        workers must not take them all down in turn)."""
        if record.attempts > MAX_ATTEMPTS:
            log.error("update %s was taken %d times and never finished (its workers died); "
                      "dropped", record.update_id, record.attempts - 1)
            return None
        return self._parse(record)

    def _parse(self, record: rows.UpdateRecord) -> Update | None:
        try:
            text = vault_for(self.services.settings).decrypt(record.payload or "")
            return Update.model_validate(json.loads(text), context={"bot": self.bot})
        except (VaultError, ValueError):
            log.error("update %s in the inbox cannot be read with this key; dropped",
                      record.update_id)
            return None

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                async with self.services.sessionmaker() as session, session.begin():
                    await rows.renew(session, channel=self.channel, worker=self.worker,
                                     lease_until=self.now() + LEASE)
            except Exception:  # the lease still runs LEASE; the next renewal tries again
                log.exception("inbox lease renewal failed")

    # -- stopping ---------------------------------------------------------------------------------

    async def stop(self, timeout: float) -> int:
        """Start nothing new; let the updates being handled finish (within `timeout`), then give
        every row still held back to the inbox for the next worker. Returns the rows given back."""
        self._accepting = False
        self._sweep_now.set()
        running = [t for t in self._tasks.values() if not t.done()]
        if running:
            done, late = await asyncio.wait(running, timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                log.warning("%d update(s) still running after %g s were stopped; they stay in "
                            "the inbox", len(late), timeout)
                await asyncio.gather(*late, return_exceptions=True)
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        async with self.services.sessionmaker() as session, session.begin():
            given = await rows.release(session, channel=self.channel, worker=self.worker)
        if given:
            log.info("inbox: %d update(s) left for the next start", given)
        return given
