"""`zhaolu run` with a token: the bot on Telegram by long polling, and the one scheduler."""

from __future__ import annotations

import logging

from bot.app import build_bot, build_dispatcher, open_services
from bot.clock import Clock
from bot.settings import Settings
from bot.staff_menus import commands as bot_commands

log = logging.getLogger(__name__)


async def run_polling(settings: Settings, *, scheduler: bool = True) -> None:
    services = await open_services(settings, Clock())
    bot = build_bot(settings)
    dispatcher = build_dispatcher(services)
    jobs = None
    try:
        me = await bot.get_me()
        log.info("running as @%s with %d campaigns", me.username, len(services.catalogue.all()))
        await bot.set_my_commands(bot_commands(services.texts))
        if scheduler:
            from bot.scheduler import start_scheduler

            jobs = start_scheduler(services, bot)
        await dispatcher.start_polling(
            bot, allowed_updates=dispatcher.resolve_used_update_types(), handle_signals=True)
    finally:
        if jobs is not None:
            jobs.shutdown(wait=False)
        await dispatcher.storage.close()
        await bot.session.close()
        await services.close()
