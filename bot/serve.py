"""`zhaolu run` with a channel: the bot on Telegram (long polling, or a webhook) and/or on a
WeChat Official Account (callbacks on /wechat), one scheduler.

Start: every dependency answers (each within STARTUP_TIMEOUT) before anything is changed; then
the inbox's worker, the scheduler, the HTTP server (ZHAOLU_HTTP_PORT, with /wechat when WeChat is
configured), and Telegram's updates: a webhook when ZHAOLU_WEBHOOK_URL is set, else long polling
(a leftover webhook deleted). WeChat alone (no bot token) serves its callbacks only.

Stop (SIGTERM, SIGINT): updates stop coming in (the poll ends; the webhook answers 503, so
Telegram delivers again later; WeChat's callbacks too, and what is being sent to WeChat users
finishes), the updates being handled and the scheduler's tick in progress finish (STOP_TIMEOUT
together), then the HTTP server, the FSM storage, the Bot's session and the database close in
that order. What was not started stays in the inbox for the next start.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.api_retry import record_undelivered_to
from bot.app import Services, build_bot, build_dispatcher, open_services, telegram_session
from bot.clock import Clock
from bot.settings import Settings
from bot.staff_menus import commands as bot_commands
from bot.startup import (
    STARTUP_TIMEOUT,
    check_bot_api,
    check_content,
    check_database,
    check_redis,
    check_wechat_api,
    within,
)
from bot.update_inbox import UpdateInbox
from bot.webhook import WebhookReceiver
from content.qa import knowledge

log = logging.getLogger(__name__)
MIGRATION_TIMEOUT = 120.0  # reaching the database is checked first; migrating may take longer
STOP_TIMEOUT = 20.0  # handlers in flight and the tick get this long to finish at a stop


@dataclass
class Worker:
    """The running pieces, closed in reverse order of need."""

    services: Services
    bot: Bot
    dispatcher: Dispatcher
    inbox: UpdateInbox
    jobs: AsyncIOScheduler | None = None
    http: web.AppRunner | None = None
    webhook: WebhookReceiver | None = None
    health: Any = None
    telegram: bool = True  # a bot token is set
    wechat: Any = None  # bot.wechat.assembly.WeChatChannel, when WeChat is configured


async def serve(settings: Settings, *, scheduler: bool = True) -> None:
    check_content(settings)
    await check_database(settings, STARTUP_TIMEOUT)
    await check_redis(settings, STARTUP_TIMEOUT)
    telegram = telegram_session(settings) if settings.bot_token else None
    try:
        username = None
        if telegram is not None and settings.bot_token is not None:
            username = await check_bot_api(Bot(settings.bot_token.get_secret_value(), telegram),
                                           settings, STARTUP_TIMEOUT)
        services = await within(open_services(settings, Clock()), MIGRATION_TIMEOUT,
                                "ZHAOLU_DATABASE_URL: preparing the database")
    except BaseException:
        if telegram is not None:
            await telegram.close()
        raise
    dispatcher = build_dispatcher(services)
    try:
        worker = await _worker(services, dispatcher, telegram)
    except BaseException:
        await services.close()
        raise
    # What the start built (the content and its indexes, the routers, the models: some 300,000
    # objects) lives as long as the process. Frozen, it is left out of every garbage collection
    # from now on: a full one walked it all (~0.2 s; on the bench's conversation the collector
    # took 0.22 ms of CPU per update, 0.08 ms once frozen; issue 15).
    build_indexes(services)
    gc.collect()
    gc.freeze()
    stopping = _stop_on_signals()
    try:
        channels = [f"Telegram as @{username}"] if username else []
        channels += [f"WeChat account {settings.wechat_appid}"] if worker.wechat else []
        log.info("running on %s with %d campaigns (worker %s)", " and ".join(channels),
                 len(services.catalogue.all()), worker.inbox.worker)
        await _start(worker, settings, scheduler)
        await _receive(worker, settings, stopping)
    finally:
        await _stop(worker)


def build_indexes(services: Services) -> None:
    """Each campaign's Q&A indexes, built now rather than at its first question (which waited
    for them, 20–70 ms, with every other update of the worker), and so frozen with the rest;
    the same for the known words of its input-method slips (and pypinyin's table, ~0.1 s)."""
    for campaign in services.catalogue.all():
        knowledge(campaign).homophones.warm()


async def _worker(services: Services, dispatcher: Dispatcher, telegram: Any) -> Worker:
    """The one Bot over the configured channels (`telegram`: the Bot API session, or None)."""
    settings = services.settings
    if not settings.wechat:
        bot = build_bot(settings, telegram)
        return Worker(services, bot, dispatcher, UpdateInbox(services, dispatcher, bot))
    from bot.wechat.assembly import wechat_channel

    channel = wechat_channel(services, dispatcher, telegram)
    await check_wechat_api(channel.api, settings, STARTUP_TIMEOUT)
    return Worker(services, channel.bot, dispatcher,
                  UpdateInbox(services, dispatcher, channel.bot), telegram=telegram is not None,
                  wechat=channel)


def _stop_on_signals() -> asyncio.Event:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _on_signal, stopping, signum)
    return stopping


def _on_signal(stopping: asyncio.Event, signum: int) -> None:
    if not stopping.is_set():
        log.info("%s: stopping (updates in progress finish, at most %g s)",
                 signal.Signals(signum).name, STOP_TIMEOUT)
    stopping.set()


async def _start(worker: Worker, settings: Settings, scheduler: bool) -> None:
    """Telegram told first (commands, the webhook once the HTTP server takes its requests),
    then the inbox's loops and the scheduler: a refusal stops the start before any background
    work has begun, so nothing is cut off mid-query."""
    # Calls answering no update (these, the inbox's, the scheduler's) are recorded when given up.
    record_undelivered_to(worker.bot, worker.services.sessionmaker)
    if worker.telegram:
        try:
            await worker.bot.set_my_commands(bot_commands(worker.services.texts))
        except TelegramAPIError as error:  # the menu of commands only: the bot works without it
            log.warning("setMyCommands failed (%s): the command menu is not updated; the next "
                        "start sets it", type(error).__name__)
    if settings.webhook_url and settings.webhook_secret:
        worker.webhook = WebhookReceiver(worker.inbox, worker.bot,
                                         settings.webhook_secret.get_secret_value())
    if settings.http_port:
        from bot.http import Health, build_app, start_http

        wechat = worker.wechat
        worker.health = Health(worker.services, worker.bot, worker.dispatcher.storage,
                               scheduler_here=scheduler, inbox=worker.inbox,
                               telegram=worker.telegram, wechat=wechat.api if wechat else None)
        app = build_app(worker.health, worker.webhook, settings.webhook_path,
                        extra=wechat.endpoint.routes() if wechat else ())
        worker.http = await start_http(app, settings.http_host, settings.http_port)
        log.info("HTTP server on %s:%d (/healthz, /readyz%s%s)", settings.http_host,
                 settings.http_port, f", webhook {settings.webhook_path}" if worker.webhook
                 else "", ", WeChat callbacks /wechat" if wechat else "")
    if worker.webhook is not None and worker.telegram:
        from bot.webhook import install_webhook

        await install_webhook(worker.bot, settings, worker.dispatcher.resolve_used_update_types())
    worker.inbox.start()
    if scheduler:
        from bot.scheduler import start_scheduler

        worker.jobs = start_scheduler(worker.services, worker.bot)


async def _receive(worker: Worker, settings: Settings, stopping: asyncio.Event) -> None:
    """Take updates until a stop is asked: by webhook, or by polling."""
    if not worker.telegram:  # WeChat alone: its callbacks come to the HTTP server
        await stopping.wait()
        return
    if worker.webhook is not None:  # installed at the start
        await stopping.wait()
        return
    allowed = worker.dispatcher.resolve_used_update_types()
    hook = await worker.bot.get_webhook_info()
    if hook.url:  # getUpdates is refused (409) while a webhook is set
        await worker.bot.delete_webhook()
        log.warning("deleted the webhook that was set (%s): this process polls",
                    hook.url.split("?", 1)[0])
    from bot.polling import Poller

    await Poller(worker.bot, worker.inbox, allowed).run(stopping)


async def _stop(worker: Worker) -> None:
    """Finish what is in flight (bounded), then close, each step whatever the previous did."""
    started = time.monotonic()
    if worker.health is not None:
        worker.health.stopping = True
    if worker.webhook is not None:
        await worker.webhook.stop(STOP_TIMEOUT / 4)
    if worker.wechat is not None:
        await worker.wechat.endpoint.stop(STOP_TIMEOUT / 2)
    left = max(STOP_TIMEOUT - (time.monotonic() - started), 1.0)
    for failed in await asyncio.gather(worker.inbox.stop(left), _finish_tick(worker.jobs, left),
                                       return_exceptions=True):
        if isinstance(failed, Exception):  # e.g. the database is away: the leases run out
            log.error("stopping: %s: %s", type(failed).__name__, failed)
    steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("HTTP server", worker.http.cleanup if worker.http else _nothing),
        ("FSM storage", worker.dispatcher.storage.close),
        ("Bot session", worker.bot.session.close),
        ("database", worker.services.close)]
    for name, close in steps:
        try:
            await close()
        except Exception:  # the next ones still close
            log.exception("closing the %s failed", name)
    log.info("stopped")


async def _finish_tick(jobs: AsyncIOScheduler | None, timeout: float) -> None:
    """No new run; a tick already running finishes (APScheduler's shutdown cancels it)."""
    if jobs is None:
        return
    jobs.pause()
    await asyncio.sleep(0)  # AsyncIOScheduler applies pause and shutdown in the loop's next turn
    running = list(getattr(jobs._lookup_executor("default"), "_pending_futures", ()))
    if running:
        _, late = await asyncio.wait(running, timeout=timeout)
        if late:
            log.warning("the scheduler's tick did not finish within %g s; cancelled", timeout)
    jobs.shutdown(wait=False)
    await asyncio.sleep(0)


async def _nothing() -> None:
    return None

