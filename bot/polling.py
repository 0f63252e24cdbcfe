"""`zhaolu run` with a token: the bot on Telegram by long polling, and the one scheduler."""

from __future__ import annotations

import logging

from bot.app import POLL_TIMEOUT, build_bot, build_dispatcher, open_services
from bot.clock import Clock
from bot.settings import Settings
from bot.staff_menus import commands as bot_commands
from bot.startup import (
    STARTUP_TIMEOUT,
    check_bot_api,
    check_content,
    check_database,
    check_redis,
    within,
)

log = logging.getLogger(__name__)
MIGRATION_TIMEOUT = 120.0  # reaching the database is checked first; migrating may take longer


async def run_polling(settings: Settings, *, scheduler: bool = True) -> None:
    # Every dependency answers (each within STARTUP_TIMEOUT) before anything is changed.
    check_content(settings)
    await check_database(settings, STARTUP_TIMEOUT)
    await check_redis(settings, STARTUP_TIMEOUT)
    bot = build_bot(settings)
    try:
        username = await check_bot_api(bot, settings, STARTUP_TIMEOUT)
        services = await within(open_services(settings, Clock()), MIGRATION_TIMEOUT,
                                "ZHAOLU_DATABASE_URL: preparing the database")
    except BaseException:
        await bot.session.close()
        raise
    dispatcher = build_dispatcher(services)
    jobs = None
    try:
        log.info("running as @%s with %d campaigns", username, len(services.catalogue.all()))
        hook = await bot.get_webhook_info()
        if hook.url:  # getUpdates is refused (409) while a webhook is set
            await bot.delete_webhook()
            log.warning("deleted the webhook that was set (%s): this process polls",
                        hook.url.split("?", 1)[0])
        await bot.set_my_commands(bot_commands(services.texts))
        if scheduler:
            from bot.scheduler import start_scheduler

            jobs = start_scheduler(services, bot)
        await dispatcher.start_polling(
            bot, allowed_updates=dispatcher.resolve_used_update_types(), handle_signals=True,
            polling_timeout=POLL_TIMEOUT)
    finally:
        if jobs is not None:
            jobs.shutdown(wait=False)
        await dispatcher.storage.close()
        await bot.session.close()
        await services.close()
