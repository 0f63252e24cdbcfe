"""Long polling through the inbox: an offset moves on only after its updates are committed.

aiogram's `start_polling` hands updates to tasks and asks for the next offset at once, so a
crash loses what was handed out (issue 15: 5-24 updates lost per kill -9). Here each batch is
recorded in the inbox (bot/update_inbox.py) and committed before the next `getUpdates` confirms
it. A 409 (another poller, or a webhook set meanwhile) is logged once at WARNING while it lasts;
network errors and Telegram's 5xx back off with jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramConflictError, TelegramRetryAfter
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.app import POLL_TIMEOUT, REQUEST_TIMEOUT
from bot.update_inbox import UpdateInbox

log = logging.getLogger(__name__)
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=2.0, jitter=0.2)


class Poller:
    def __init__(self, bot: Bot, inbox: UpdateInbox, allowed_updates: list[str]) -> None:
        self.bot = bot
        self.inbox = inbox
        self.allowed_updates = allowed_updates
        self.offset: int | None = None
        self._backoff = Backoff(BACKOFF)
        self._trouble: str | None = None  # what is logged already (a 409, a network error)

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until `stopping` is set; a long poll in progress is abandoned then (its updates,
        if any, are not confirmed: Telegram sends them again to the next start)."""
        while not stopping.is_set():
            updates = await self._next_batch(stopping)
            if updates is None:
                continue
            try:
                await self.inbox.receive(updates)
            except Exception:  # the database is away: the same batch comes again
                log.exception("could not record %d update(s); asking Telegram again",
                              len(updates))
                await self._pause(stopping, next(self._backoff))
                continue
            if updates:
                self.offset = updates[-1].update_id + 1

    async def _next_batch(self, stopping: asyncio.Event) -> list[Update] | None:
        """The next getUpdates' updates; None after a failure (logged, waited out) or a stop."""
        request = asyncio.ensure_future(self.bot.get_updates(
            offset=self.offset, timeout=POLL_TIMEOUT, allowed_updates=self.allowed_updates,
            request_timeout=int(POLL_TIMEOUT + REQUEST_TIMEOUT)))
        stop = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({request, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not request.done():
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await request
            return None
        try:
            updates = request.result()
        except TelegramConflictError as error:
            self._report("409", "getUpdates refused (409: %s); another poller or a webhook is "
                                "using this bot; retrying quietly until it stops", error.message)
        except TelegramRetryAfter as error:
            await self._pause(stopping, error.retry_after)
            return None
        except (TelegramAPIError, OSError, TimeoutError) as error:  # network, 5xx, a stall
            self._report("network", "getUpdates failed (%s); retrying with backoff",
                         type(error).__name__ + (f": {error}" if str(error) else ""))
        else:
            if self._trouble is not None:
                log.info("getUpdates works again")
                self._trouble = None
            self._backoff.reset()
            return updates
        await self._pause(stopping, next(self._backoff))
        return None

    def _report(self, kind: str, message: str, *args: object) -> None:
        """Log a trouble once while it lasts (a 409 storm is one line, not one every second)."""
        if self._trouble != kind:
            log.warning(message, *args)
            self._trouble = kind
        else:
            log.debug(message, *args)

    @staticmethod
    async def _pause(stopping: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)
