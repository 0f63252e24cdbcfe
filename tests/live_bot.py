"""A real Bot and the real Dispatcher polling a loopback Bot API (tests/loopback_telegram.py),
with a retry policy of the test's choosing: for the tests of bot/api_retry.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot, Dispatcher
from sqlmodel import select

from bot import metrics
from bot.api_retry import RetryMiddleware, RetryPolicy
from bot.app import Services, build_bot, build_dispatcher, open_services
from bot.clock import Clock
from bot.settings import Settings
from storage.update_inbox import UndeliveredReply
from tests.harness import DEFAULT_NOW
from tests.loopback_telegram import TOKEN, LoopbackTelegram

# Short pauses: a 5xx storm of a few seconds is ridden out in a few seconds, not in 30.
FAST = RetryPolicy(base=0.05, cap=0.4, jitter=0.5, retry_after_jitter=0.2, budget=10.0)
CONVERSATION = ["/start xiaogan-2023", "/help", "报名时间"]


@dataclass
class Live:
    telegram: LoopbackTelegram
    services: Services
    bot: Bot
    dispatcher: Dispatcher

    async def replies(self, users: Iterable[int], count: int, timeout: float = 25.0) -> None:
        """Wait until each user got `count` replies (or time out, failing the test)."""
        async def enough() -> None:
            while any(len(self.telegram.sent_to(u)) < count for u in users):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(enough(), timeout)

    async def settled(self, user: int, quiet: float = 0.7) -> list[str]:
        """The user's replies once none came for `quiet` seconds."""
        seen = -1
        while len(self.telegram.sent_to(user)) != seen:
            seen = len(self.telegram.sent_to(user))
            await asyncio.sleep(quiet)
        return self.telegram.sent_to(user)

    async def undelivered(self) -> list[UndeliveredReply]:
        async with self.services.sessionmaker() as session:
            return list((await session.exec(select(UndeliveredReply))).all())


async def start(db_url: str, tmp_path: Path, policy: RetryPolicy) -> AsyncIterator[Live]:
    telegram = LoopbackTelegram()
    await telegram.start()
    settings = Settings(database_url=db_url, var_dir=tmp_path / "var", bot_token=TOKEN,
                        telegram_api_url=telegram.base_url)
    services = await open_services(settings, Clock(DEFAULT_NOW))
    bot = build_bot(settings, retry=RetryMiddleware(policy))
    dispatcher = build_dispatcher(services)
    polling = asyncio.create_task(dispatcher.start_polling(
        bot, handle_signals=False, polling_timeout=1, close_bot_session=False))
    try:
        yield Live(telegram, services, bot, dispatcher)
    finally:
        await dispatcher.stop_polling()
        await polling
        await dispatcher.storage.close()
        await bot.session.close()
        await services.close()
        await telegram.stop()


def converse(telegram: LoopbackTelegram, users: Iterable[int]) -> None:
    """Each user sends the whole conversation at once, as a hurried user taps."""
    for text in CONVERSATION:
        for user in users:
            telegram.push_text(user, text)


def retries(reason: str) -> float:
    return metrics.API_RETRIES.labels(reason)._value.get()
