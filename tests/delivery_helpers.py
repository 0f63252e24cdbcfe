"""Shared by the reminders and delivery tests: users, registrations, a virtual clock, a bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from aiogram import Bot
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import build_bot
from bot.clock import parse_moment
from bot.recording import Call, RecordingSession
from bot.settings import Settings
from storage.registrations import Registration
from storage.subscriptions import subscribe
from storage.users import touch_user
from tests.bot_api import problems

NOW = parse_moment("2023-06-27T09:00:00+08:00")
DUMMY_METHOD = SendMessage(chat_id=1, text="x")


class ScaledTime:
    """A clock running `factor` times faster than real time, for the sender's monotonic and sleep.

    Everything (the limiters, the recorded call times) reads the same clock, so every bound is
    checked as it is, only sooner; the sleeps asked for are kept.
    """

    def __init__(self, factor: float = 10.0) -> None:
        self.factor = factor
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() * self.factor

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(max(seconds, 0.0) / self.factor)


class TimedSession(RecordingSession):
    """Records each call with the virtual time it was made at, and checks it against the spec."""

    def __init__(self, clock: ScaledTime | None = None) -> None:
        super().__init__()
        self.scaled = clock or ScaledTime(1.0)
        self.times: list[float] = []
        self.mark: Callable[[], object] | None = None  # a test's own note, taken at each call
        self.marks: list[object] = []

    async def make_request(self, bot, method, timeout=None):  # noqa: ANN001, ANN201
        # The time is taken first: checking the call against the spec is the test's own work,
        # and on a loaded machine it would make a call look later than it started.
        self.times.append(self.scaled.monotonic())
        if self.mark is not None:
            self.marks.append(self.mark())
        params = self.serialise(bot, method)
        assert not problems(method.__api_method__, params), problems(method.__api_method__,
                                                                     params)
        return await super().make_request(bot, method, timeout)

    def sent(self) -> list[Call]:
        return [c for c in self.calls if c.method == "sendMessage" and c.result is not None]

    def chats(self) -> list[int]:
        return [int(c.chat_id) for c in self.sent()]


def make_bot(session: RecordingSession) -> Bot:
    return build_bot(Settings(), session)


async def add_users(sessionmaker: async_sessionmaker[AsyncSession], ids: Iterable[int], *,
                    slug: str | None = None, now: datetime = NOW) -> None:
    async with sessionmaker() as session, session.begin():
        for uid in ids:
            await touch_user(session, user_id=uid, first_name=f"u{uid}", last_name=None,
                             username=None, now=now)
            if slug is not None:
                await subscribe(session, user_id=uid, slug=slug, now=now)


async def add_registration(sessionmaker: async_sessionmaker[AsyncSession], user_id: int,
                           slug: str, status: str, bases: Iterable[str] = ()) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(Registration(
            campaign_slug=slug, user_id=user_id, status=status,
            receipt_no=f"{slug[:2].upper()}-{user_id}",
            id_cipher="x", id_hash=f"h{user_id}", id_masked="4209**********1234", name="测试",
            phone="13800000000", school="某学院", graduation_year=2023, education="zk",
            major="临床医学", qualification="none", person_type="social", verdict="eligible",
            base_choices=list(bases)))
