"""One Bot for every channel: each call goes to the session of the chat it is for.

Handlers, the delivery ledger and the staff tools all hold the same Bot; a call whose chat (or
user) id is in WeChat's range (storage.wechat.WECHAT_BASE and up), or that answers a WeChat
callback query, goes to the WeChat session; everything else to Telegram as before. A photo a
WeChat user sent (file id MEDIA_PREFIX + WeChat's media id) that goes to a Telegram chat (the
staff inbox) is fetched from WeChat and uploaded: Telegram knows no such file id.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile

from storage.wechat import is_wechat

QUERY_PREFIX = "wx"  # callback query ids the WeChat adapter makes
MEDIA_PREFIX = "wxmedia-"  # file ids of photos WeChat users sent
Fetch = Callable[[str], Awaitable[bytes]]


def for_wechat(method: TelegramMethod[Any]) -> bool:
    for name in ("chat_id", "user_id"):
        value = getattr(method, name, None)
        if isinstance(value, int) and is_wechat(value):
            return True
        if isinstance(value, str) and value.isdigit() and is_wechat(int(value)):
            return True
    query = getattr(method, "callback_query_id", None)
    return isinstance(query, str) and query.startswith(QUERY_PREFIX)


class ChannelSession(BaseSession):
    """`media`: fetches a WeChat media id's bytes (the API's temporary media)."""

    def __init__(self, telegram: BaseSession, wechat: BaseSession,
                 media: Fetch | None = None) -> None:
        super().__init__()
        self.telegram = telegram
        self.wechat = wechat
        self.media = media

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:
        if for_wechat(method):
            return await self.wechat(bot, method, timeout)
        photo = getattr(method, "photo", None)
        if isinstance(photo, str) and photo.startswith(MEDIA_PREFIX) and self.media is not None:
            data = await self.media(photo.removeprefix(MEDIA_PREFIX))
            method = method.model_copy(update={"photo": BufferedInputFile(data, "wechat.jpg")})
        return await self.telegram(bot, method, timeout)

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None,
                             timeout: int = 30, chunk_size: int = 65536,
                             raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        async for chunk in self.telegram.stream_content(url, headers, timeout, chunk_size,
                                                        raise_for_status):
            yield chunk

    async def close(self) -> None:
        await self.wechat.close()
        await self.telegram.close()
