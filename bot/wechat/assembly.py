"""Putting the WeChat channel together: one Bot over both channels, and the callback endpoint."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from bot.app import Services, build_bot
from bot.wechat.api import WeChatApi
from bot.wechat.channel import ChannelSession
from bot.wechat.files import FileLinks
from bot.wechat.server import WeChatConfig, WeChatEndpoint
from bot.wechat.session import CustomerService, WeChatSession
from bot.wechat.subscriptions import SubscriptionSender

log = logging.getLogger(__name__)


@dataclass
class WeChatChannel:
    bot: Bot  # the one Bot: Telegram chats to Telegram, WeChat users to WeChat
    endpoint: WeChatEndpoint
    api: WeChatApi


class NoTelegram(BaseSession):
    """WeChat alone (no bot token): a call for a Telegram chat is refused as undeliverable."""

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:
        log.warning("%s for a Telegram chat, but no ZHAOLU_BOT_TOKEN is set: not sent",
                    method.__api_method__)
        raise TelegramForbiddenError(method, "Forbidden: Telegram is not configured")

    async def stream_content(self, *args: object, **kwargs: object):  # type: ignore[override]
        raise TelegramForbiddenError(None, "Forbidden: Telegram is not configured")  # type: ignore[arg-type]
        yield b""  # pragma: no cover - a generator by contract

    async def close(self) -> None:
        return None


def wechat_channel(services: Services, dispatcher: Dispatcher,
                   telegram: BaseSession | None) -> WeChatChannel:
    """`telegram`: the Bot API session when a bot token is set, else None (WeChat alone)."""
    settings = services.settings
    assert settings.wechat_appid and settings.wechat_secret and settings.wechat_token
    api = WeChatApi(settings.wechat_appid, settings.wechat_secret.get_secret_value(),
                    settings.wechat_api_url, services.sessionmaker)
    sender = CustomerService(api, services.sessionmaker, services.clock, SubscriptionSender(
        api, services.sessionmaker, services.catalogue, services.clock))
    links = FileLinks(services.sessionmaker, services.clock, settings.public_url) \
        if settings.public_url else None
    session = WeChatSession(sender, services.clock, links)
    bot = build_bot(settings, ChannelSession(telegram or NoTelegram(), session, api.media))
    aes = settings.wechat_aes_key.get_secret_value() if settings.wechat_aes_key else None
    config = WeChatConfig(settings.wechat_appid, settings.wechat_token.get_secret_value(), aes)
    endpoint = WeChatEndpoint(config, dispatcher, bot, session, sender, services.texts,
                              services.clock)
    return WeChatChannel(bot, endpoint, api)
