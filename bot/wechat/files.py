"""Files for WeChat users as links (storage/wechat_files.py): kept when sent, served by token.

`FileLinks.link` keeps a file for a user and gives the URL under ZHAOLU_PUBLIC_URL; `serve` is
the `GET /wechat/file/{token}` route. What a browser can show (JSON, text, PDF, images) opens in
WeChat's own browser; anything else is offered as a download under its name.
"""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from storage.wechat_files import LIFETIME, keep_file, open_file, shared_file

ROUTE = "/wechat/file/{token}"
Fetch = Callable[[], Awaitable[bytes | None]]
SHOWN_INLINE = ("application/json", "application/pdf", "text/", "image/")
GONE_PAGE = ("<!doctype html><meta charset=utf-8><meta name=viewport "
             "content='width=device-width'><title>链接已失效</title>"
             "<p>此链接已失效（{hours} 小时内有效，最多打开 10 次）。如仍需要该文件，请回到公众号"
             "重新获取，或留言请工作人员另行提供。</p>")
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff"}


class FileLinks:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                 public_url: str) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.public_url = public_url

    @property
    def hours(self) -> int:
        return int(LIFETIME.total_seconds() // 3600)

    async def link(self, user_id: int, name: str, data: bytes) -> str:
        async with self.sessionmaker() as session, session.begin():
            token = await keep_file(session, user_id=user_id, name=name, data=data,
                                    now=self.clock.now())
        return f"{self.public_url}{ROUTE.format(token=token)}"

    async def shared(self, source: str, name: str, data: Fetch) -> str | None:
        """The URL of a file many recipients get (an announcement's), kept once per `source`
        (Telegram's file id) and fetched (`data`) only then; None when it cannot be had."""
        async with self.sessionmaker() as session:
            token = await shared_file(session, source=source, now=self.clock.now())
        if token is None:
            found = await data()
            if found is None:
                return None
            async with self.sessionmaker() as session, session.begin():
                token = await keep_file(session, source=source, name=name, data=found,
                                        now=self.clock.now())
        return f"{self.public_url}{ROUTE.format(token=token)}"

    def line(self, url: str, name: str) -> str:
        """The HTML line a message carries instead of the file."""
        return (f'📎 <a href="{html.escape(url)}">{html.escape(name)}</a>'
                f"（点击查看或下载，{self.hours} 小时内有效）")

    async def serve(self, request: web.Request) -> web.Response:
        async with self.sessionmaker() as session, session.begin():
            found = await open_file(session, token=request.match_info["token"],
                                    now=self.clock.now())
        if found is None:
            return web.Response(status=404, text=GONE_PAGE.format(hours=self.hours),
                                content_type="text/html", headers=HEADERS)
        name, data = found
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        how = "inline" if kind.startswith(SHOWN_INLINE) else "attachment"
        if kind.startswith("text/") or kind == "application/json":
            kind += "; charset=utf-8"
        return web.Response(body=data, headers={
            **HEADERS, "Content-Type": kind,
            "Content-Disposition": f"{how}; filename*=UTF-8''{quote(name)}"})
