"""A WeChat user's chat through the channel's callback endpoint and a loopback WeChat: the
`wechat` fixture (registered in conftest) for the WeChat tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import xmltodict
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Services, build_dispatcher, open_services
from bot.clock import Clock
from bot.driver import ChatDriver
from bot.recording import RecordingSession
from bot.settings import Settings
from bot.wechat.assembly import WeChatChannel, wechat_channel
from tests.harness import DEFAULT_NOW, Harness
from tests.loopback_wechat import APPID, SECRET, TOKEN, LoopbackWeChat, callback_xml, signed
from tests.registration_helpers import id_number

OPENID = "o_applicant_1"


@dataclass
class WeChat:
    api: LoopbackWeChat
    client: TestClient
    channel: WeChatChannel
    telegram: RecordingSession
    clock: Clock
    services: Services

    async def post(self, xml: str, *, safe: bool = False, token: str = TOKEN) -> web.Response:
        data = xmltodict.parse(xml)["xml"]
        action = {"subscribe": "subscribe", "SCAN": "scan"}.get(data.get("Event", ""))
        if data.get("MsgType") != "event":
            action = "click" if data.get("bizmsgmenuid") else "message"
        if action and token == TOKEN:
            self.api.grant(data["FromUserName"], action)
        query, body = signed(xml, token=token, safe=safe)
        return await self.client.post("/wechat", params=query, data=body.encode())

    async def say(self, text: str, openid: str = OPENID, **extra: Any) -> list[str]:
        """What the user sees after sending `text`: the passive reply and/or the messages
        sent through the API, in order, as plain strings (a menu: head + [item] lines)."""
        before = len(self.api.to(openid))
        response = await self.post(callback_xml(openid, text=text, **extra))
        return await self._seen(response, openid, before)

    async def click(self, label: str, openid: str = OPENID) -> list[str]:
        """Click the menu item with this label in the newest menu message."""
        menus = [m for m in self.api.to(openid) if m["msgtype"] == "msgmenu"]
        items = {i["content"]: i["id"] for i in menus[-1]["msgmenu"]["list"]}
        assert label in items, f"no item {label!r} in {list(items)}"
        before = len(self.api.to(openid))
        response = await self.post(callback_xml(openid, text=label, menu_id=items[label]))
        return await self._seen(response, openid, before)

    async def event(self, event: str, key: str | None = None,
                    openid: str = OPENID) -> list[str]:
        before = len(self.api.to(openid))
        response = await self.post(callback_xml(openid, event=event, event_key=key))
        return await self._seen(response, openid, before)

    async def event_xml(self, xml: str, openid: str = OPENID) -> list[str]:
        """Any callback WeChat makes, as XML (a subscription popup's answer …)."""
        before = len(self.api.to(openid))
        return await self._seen(await self.post(xml), openid, before)

    async def _seen(self, response: Any, openid: str, before: int) -> list[str]:
        assert response.status == 200, await response.text()
        body = await response.text()
        await self.channel.endpoint.drain()
        seen = []
        if body != "success":
            seen.append(xmltodict.parse(body)["xml"]["Content"])
        for message in self.api.to(openid)[before:]:
            if message["msgtype"] == "text":
                seen.append(message["text"]["content"])
            elif message["msgtype"] == "image":
                seen.append(f"[图片 {message['image']['media_id']}]")
            else:
                menu = message["msgmenu"]
                seen.append("\n".join([menu["head_content"],
                                       *(f"[{i['content']}]" for i in menu["list"])]))
        return seen


@pytest.fixture
async def wechat(db_url: str, tmp_path: Path) -> AsyncIterator[WeChat]:
    async with open_wechat(db_url, tmp_path) as opened:
        yield opened


@contextlib.asynccontextmanager
async def open_wechat(db_url: str, tmp_path: Path, **extra: Any) -> AsyncIterator[WeChat]:
    """The channel on a fresh database (`extra`: more settings, e.g. content_dir)."""
    api = LoopbackWeChat()
    await api.start()
    clock = Clock(DEFAULT_NOW)
    settings = Settings(database_url=db_url, var_dir=tmp_path / "var", wechat_appid=APPID,
                        wechat_secret=SECRET, wechat_token=TOKEN, wechat_api_url=api.base_url,
                        **extra)
    services = await open_services(settings, clock)
    dispatcher = build_dispatcher(services)
    telegram = RecordingSession(clock)
    channel = wechat_channel(services, dispatcher, telegram)
    app = web.Application()
    app.add_routes(channel.endpoint.routes())
    client = TestClient(TestServer(app))
    await client.start_server()
    yield WeChat(api, client, channel, telegram, clock, services)
    await channel.endpoint.drain()
    await client.close()
    await dispatcher.storage.close()
    await services.close()
    await api.stop()


def text_of(seen: list[str]) -> str:
    return "\n".join(seen)


async def preregister(wechat: WeChat) -> tuple[str, str]:
    """A whole pre-registration for xiaogan-2023 (汉川市人民医院) over WeChat: the summary shown
    before confirming, and the receipt."""
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    await wechat.click("暂不需要")
    await wechat.say("/register")
    await wechat.click("✅ 同意并开始")
    await wechat.click("✅ 同意提供身份证号")
    for answer in ("张三", id_number(), "138 1234 5678", "湖北职业技术学院", "2022"):
        await wechat.say(answer)
    await wechat.click("专科（高职高专）")
    await wechat.click("临床医学")
    await wechat.click("未取得执业资格")
    await wechat.click("应往届毕业生")
    summary = text_of(await wechat.click("汉川市人民医院（6人）"))
    return summary, text_of(await wechat.click("✅ 确认提交"))


def telegram_side(wechat: WeChat) -> Harness:
    """Staff on Telegram, on the same Dispatcher and the same channel Bot (which routes each
    call: Telegram chats to the recording session, WeChat users to the loopback WeChat)."""
    harness = object.__new__(Harness)
    harness.services, harness.clock, harness.session = wechat.services, wechat.clock, \
        wechat.telegram
    harness.bot, harness.dispatcher = wechat.channel.bot, wechat.channel.endpoint.dispatcher
    harness.driver = ChatDriver(harness.dispatcher, harness.bot, harness.session, harness.clock)
    return harness
