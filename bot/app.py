"""Assembly: the long-lived services, the Dispatcher and the Bot, the same for every channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.api_retry import RetryMiddleware, RetryPolicy, UpdateContext, install_retry
from bot.clock import Clock
from bot.hot_path import pin_response_types, run_filters_inline
from bot.metrics import UpdateMetricsMiddleware
from bot.middlewares import DatabaseMiddleware
from bot.settings import Settings
from bot.update_session import commit_before_requests
from content.catalogue import Catalogue, load_catalogue
from content.texts import Texts, default_texts
from storage.engine import create_engine, make_sessionmaker, prepare_database
from storage.fsm import build_fsm_storage

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What every handler may need, handed to the Dispatcher as keyword data."""

    settings: Settings
    clock: Clock
    catalogue: Catalogue
    texts: Texts
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # Called when something was put in the delivery ledger to go now (an announcement): the
    # process that runs the scheduler sets it to run the tick at once; elsewhere the next tick
    # (at most TICK_SECONDS away) sends it.
    wake_sender: Callable[[], None] = field(default=lambda: None)

    def as_data(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "clock": self.clock,
            "catalogue": self.catalogue,
            "texts": self.texts,
            "engine": self.engine,
            "sessionmaker": self.sessionmaker,
            "services": self,
        }

    async def close(self) -> None:
        await self.engine.dispose()


async def open_services(settings: Settings, clock: Clock) -> Services:
    """Load content (failing fast on a bad file), open and migrate the database."""
    catalogue = load_catalogue(settings.content_dir)
    for line in settings.deprecations():
        log.warning(line)
    engine = create_engine(settings.effective_database_url, **_named(settings))
    try:
        await prepare_database(engine)
        sessionmaker = make_sessionmaker(engine)
        await check_key(sessionmaker, settings, clock.now())
    except BaseException:
        await engine.dispose()
        raise
    await bootstrap_admins(sessionmaker, settings.admin_ids, clock.now())
    return Services(settings=settings, clock=clock, catalogue=catalogue, texts=default_texts(),
                    engine=engine, sessionmaker=sessionmaker)


def _named(settings: Settings) -> dict[str, Any]:
    """On PostgreSQL, connections say which worker they belong to (pg_stat_activity; /readyz
    names the scheduler lock's holder by it)."""
    if not settings.effective_database_url.startswith("postgresql"):
        return {}
    from bot.update_inbox import worker_name

    return {"connect_args": {"server_settings": {"application_name": f"zhaolu {worker_name()}"}}}


async def check_key(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings,
                    now: Any) -> None:
    """The key fits the database's encrypted data, or the start stops here (KeyProblem)."""
    from storage.keys import open_vault

    async with sessionmaker() as session, session.begin():
        await open_vault(session, settings, now)


async def bootstrap_admins(sessionmaker: async_sessionmaker[AsyncSession], admin_ids: list[int],
                           now: Any) -> None:
    """ZHAOLU_ADMINS are admins at every start; an id taken out of it loses that grant."""
    from storage import audit
    from storage.staff import sync_env_admins

    async with sessionmaker() as session, session.begin():
        added, removed = await sync_env_admins(session, admin_ids=admin_ids, now=now)
        for row, action in [*((r, "staff.grant") for r in added),
                            *((r, "staff.revoke") for r in removed)]:
            await audit.record(session, action=action, now=now, actor=audit.SYSTEM_ACTOR,
                               detail=f"grant #{row.id} admin of user {row.telegram_id} "
                                      "(ZHAOLU_ADMINS)")


def build_dispatcher(services: Services, *, fsm_storage: BaseStorage | None = None) -> Dispatcher:
    """A fresh Dispatcher with a fresh router tree (routers attach to one parent only)."""
    from handlers import build_router
    from handlers.errors import register_error_handler
    from handlers.staff.inbox_group import build_group_router

    storage = fsm_storage or build_fsm_storage(services.settings, services.engine)
    dispatcher = Dispatcher(storage=storage, events_isolation=_isolation(storage),
                            **services.as_data())
    dispatcher.update.outer_middleware(UpdateMetricsMiddleware())  # first: it times the rest
    dispatcher.update.outer_middleware(UpdateContext())  # which update a Bot API call answers
    dispatcher.update.outer_middleware(DatabaseMiddleware())
    dispatcher.include_router(build_router())
    # The staff inbox's forum groups: the one router that reads group chats, beside the tree.
    dispatcher.include_router(build_group_router())
    register_error_handler(dispatcher)
    run_filters_inline(dispatcher)  # pure predicates: no thread-pool round trip per check
    return dispatcher


def _isolation(storage: BaseStorage) -> Any:
    """Serialise updates per user, so a double tap is handled after the first tap finished:
    across workers with a short renewed Redis lock (bot/user_lock.py), else in this process."""
    from aiogram.fsm.storage.memory import SimpleEventIsolation
    from aiogram.fsm.storage.redis import RedisStorage

    from bot.user_lock import RenewedRedisIsolation

    if isinstance(storage, RedisStorage):
        # The storage's keys: under ZHAOLU_REDIS_PREFIX and the bot's id like the state they
        # guard (aiogram's default builder put every deployment's locks in one namespace).
        return RenewedRedisIsolation(storage.redis, key_builder=storage.key_builder,
                                     storage=storage)
    return SimpleEventIsolation()


REQUEST_TIMEOUT = 10.0
POLL_TIMEOUT = 5  # getUpdates long poll, seconds


def telegram_session(settings: Settings) -> BaseSession:
    """The Bot API's session, bare (build_bot adds the retry and commit middlewares)."""
    from aiogram.client.telegram import PRODUCTION, TelegramAPIServer

    from bot.json_session import JsonAiohttpSession

    api = TelegramAPIServer.from_base(settings.telegram_api_url) \
        if settings.telegram_api_url else PRODUCTION
    # Every request gives up after REQUEST_TIMEOUT s (aiogram's default is 60): a stalled
    # connection is abandoned in seconds, a long poll after POLL_TIMEOUT + REQUEST_TIMEOUT.
    return JsonAiohttpSession(api=api, timeout=REQUEST_TIMEOUT)


def build_bot(settings: Settings, session: BaseSession | None = None, *,
              retry: RetryMiddleware | None = None) -> Bot:
    """The Bot, every call of which goes through the retry policy (`retry`: tests shorten it)."""
    token = settings.bot_token.get_secret_value() if settings.bot_token else "42:shell"
    session = session or telegram_session(settings)
    bot = Bot(token=token, session=session,
              default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    commit_before_requests(bot)  # no transaction open during a Bot API call
    pin_response_types(bot)  # each answer's pydantic model built once, not after every GC
    # Inside the commit: the retries of one call (up to ZHAOLU_REPLY_RETRY_SECONDS) hold no
    # transaction either.
    install_retry(session, retry or RetryMiddleware(
        RetryPolicy(budget=settings.reply_retry_seconds)), replace=retry is not None)
    return bot
