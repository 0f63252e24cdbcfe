"""The Official Account's callback endpoint: GET answers WeChat's check, POST carries messages.

Every POST is checked against the account's token (the signature; in safe mode the message
signature, then decrypted with the AES key); a message seen before (WeChat repeats a callback
it got no answer to within 5 seconds) is answered "success" and not handled again. The message
becomes an Update for the one Dispatcher, fed with the channel Bot; what the handlers send to the
user collects in the update's Outbox. When the handler is done within PASSIVE_BUDGET and its
messages fit one text, they go back as the passive reply (free, no quota); otherwise the
endpoint answers "success" at once and the messages go through the customer-service API when
the handler is done, merged — never both.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import xmltodict
from aiogram import Bot, Dispatcher
from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.clock import Clock
from bot.delivery import send_with_file
from bot.delivery_results import Route, ledger_call
from bot.wechat.files import ROUTE as FILE_ROUTE
from bot.wechat.inbound import key_of, to_update
from bot.wechat.render import Out, render, split
from bot.wechat.session import CURRENT, CustomerService, Outbox, WeChatSession
from bot.wechat.subscriptions import template_choices
from content.texts import Texts
from storage import delivery as ledger
from storage.update_inbox import UpdateRecord
from storage.wechat import open_window, set_template_grant, take_held, user_for

log = logging.getLogger(__name__)
PASSIVE_BUDGET = 4.0  # seconds: WeChat waits 5 for the answer, the network takes some
CHANNEL = "wechat"


@dataclass
class WeChatConfig:
    appid: str
    token: str
    aes_key: str | None = None


class WeChatEndpoint:
    def __init__(self, config: WeChatConfig, dispatcher: Dispatcher, bot: Bot,
                 session: WeChatSession, sender: CustomerService, texts: Texts,
                 clock: Clock) -> None:
        self.config = config
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session
        self.sender = sender
        self.texts = texts
        self.clock = clock
        self.crypto = WeChatCrypto(config.token, config.aes_key, config.appid) \
            if config.aes_key else None
        self.background: set[asyncio.Task[Any]] = set()
        self.accepting = True

    def routes(self, path: str = "/wechat") -> list[web.RouteDef]:
        """The callbacks; and the files linked for users, when links are made."""
        served = [web.get(path, self.verify), web.post(path, self.receive)]
        if self.session.links is not None:
            served.append(web.get(FILE_ROUTE, self.session.links.serve))
        return served

    def _signed(self, request: web.Request) -> bool:
        query = request.query
        try:
            check_signature(self.config.token, query.get("signature", ""),
                            query.get("timestamp", ""), query.get("nonce", ""))
        except InvalidSignatureException:
            return False
        return True

    async def verify(self, request: web.Request) -> web.Response:
        """WeChat's server check when the URL is configured: echo `echostr` if signed."""
        if not self._signed(request):
            return web.Response(status=403, text="invalid signature")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        if not self._signed(request):
            log.warning("WeChat callback with an invalid signature refused")
            return web.Response(status=403, text="invalid signature")
        if not self.accepting:  # stopping: WeChat sends the callback again (another worker)
            return web.Response(status=503, text="stopping")
        body = await request.read()
        query = request.query
        if self.crypto is not None and query.get("encrypt_type") == "aes":
            try:
                body = self.crypto.decrypt_message(body, query.get("msg_signature", ""),
                                                   query.get("timestamp", ""),
                                                   query.get("nonce", "")).encode()
            except InvalidSignatureException:
                log.warning("WeChat callback whose message signature does not match refused")
                return web.Response(status=403, text="invalid signature")
        try:
            data = xmltodict.parse(body)["xml"]
        except Exception:  # noqa: BLE001 - anything unparsable is not WeChat's
            return web.Response(status=400, text="bad xml")
        reply = await self.handle(data)
        if reply is None:
            return web.Response(text="success")
        xml = TextReply(source=data.get("ToUserName"), target=data.get("FromUserName"),
                        content=reply).render()
        if self.crypto is not None and query.get("encrypt_type") == "aes":
            xml = self.crypto.encrypt_message(xml, query.get("nonce", ""),
                                              query.get("timestamp", str(int(time.time()))))
        return web.Response(text=xml, content_type="application/xml")

    async def handle(self, data: dict[str, Any]) -> str | None:
        """Handle one callback; the passive reply's text, or None (answer "success")."""
        admitted = await self._admit(data)
        if admitted is None:
            return None
        user_id, unread = admitted
        inbound = to_update(data, user_id=user_id, update_id=key_of(data) & 0x7FFFFFFFFFFF,
                            message_id=self.session.next_message_id(), now=self.clock.now())
        if inbound.update is None:
            return None
        outbox = Outbox(user_id)
        if unread:
            outbox.messages.append(Out(self.texts("wechat.unread", count=unread)))
        await self._waiting(user_id, outbox)
        task = asyncio.create_task(self._feed(inbound.update, outbox))
        done, _ = await asyncio.wait({task}, timeout=PASSIVE_BUDGET)
        if task in done:
            messages = outbox.take()
            if len(messages) == 1 and messages[0].is_text:
                return messages[0].text
            self._later(self.sender(user_id, messages))
            return None
        self._later(self._send_when_done(task, outbox))
        return None

    async def _admit(self, data: dict[str, Any]) -> tuple[int, int] | None:
        """One short transaction: the user, the replay check, the reply window, the unread
        count to announce. None when the callback is a repeat, or needs no answer."""
        now = self.clock.now()
        key = key_of(data)
        async with self.dispatcher["sessionmaker"]() as session, session.begin():
            if await session.get(UpdateRecord, (CHANNEL, key)) is not None:
                log.info("WeChat callback %s seen before: not handled again", key)
                return None
            row = await user_for(session, str(data.get("FromUserName", "")))
            session.add(UpdateRecord(channel=CHANNEL, update_id=key, user_id=row.user_id,
                                     received_at=now, handled_at=now))
            event = str(data.get("Event", "")).lower()
            if str(data.get("MsgType", "")).lower() == "event" and event == "unsubscribe":
                row.gone_at = now
                return None
            row.gone_at = None
            for template_id, accepted in template_choices(data):
                await set_template_grant(session, user_id=row.user_id, template_id=template_id,
                                         accepted=accepted, now=now)
            action = _action(data)
            if action is not None:
                open_window(row, action, now)
            unread, row.unread = row.unread, 0
            return row.user_id, unread

    async def _waiting(self, user_id: int, outbox: Outbox) -> None:
        """What found the user's reply window closed, into the outbox under one line saying
        how many: the ledger's reminders and announcements (marked shown in the same statement:
        never shown twice; an announcement's file as an image or a link) and the messages held
        as text (a staff answer, a failed send; deleted as they are taken). Their buttons are
        left out: the user's new window carries few messages, and texts merge. Should sending
        them fail now, the customer-service sender holds them again: never lost between the
        two."""
        async with self.dispatcher["sessionmaker"]() as session, session.begin():
            keys = await ledger.take_waiting(session, user_id=user_id, now=self.clock.now())
            payloads = await ledger.payloads_for(session, keys=keys)
            held = await take_held(session, user_id=user_id)
        if not keys and not held:
            return
        outbox.messages.append(Out(self.texts("wechat.waiting", count=len(keys) + len(held))))
        for key in keys:
            payload = payloads[key]
            if payload.attachment is None:
                outbox.messages += render(payload.text, None)
                continue
            into = CURRENT.set(outbox)
            try:
                with ledger_call(Route(payload.campaign_slug, payload.attachment.name)):
                    await send_with_file(self.bot, user_id, payload)
            finally:
                CURRENT.reset(into)
        for text in held:
            outbox.messages += [Out(piece) for piece in split(text)]

    async def _feed(self, update: Any, outbox: Outbox) -> None:
        CURRENT.set(outbox)
        await self.dispatcher.feed_update(self.bot, update)

    async def _send_when_done(self, task: asyncio.Task[None], outbox: Outbox) -> None:
        try:
            await task
        finally:
            messages = outbox.take()
            if messages:
                await self.sender(outbox.user_id, messages)

    def _later(self, job: Any) -> None:
        task = asyncio.create_task(job)
        self.background.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("WeChat messages not sent: %r", task.exception())

    async def stop(self, timeout: float) -> None:
        """Take no more callbacks; let the messages being sent finish (bounded)."""
        self.accepting = False
        try:
            await asyncio.wait_for(self.drain(), timeout)
        except TimeoutError:
            log.warning("WeChat messages still being sent after %g s: abandoned", timeout)

    async def drain(self) -> None:
        """Wait for the messages still being sent (graceful stop, tests)."""
        while self.background:
            await asyncio.gather(*list(self.background), return_exceptions=True)


def _action(data: dict[str, Any]) -> str | None:
    kind = str(data.get("MsgType", "")).lower()
    if kind != "event":
        return "click" if data.get("bizmsgmenuid") else "message"
    event = str(data.get("Event", "")).lower()
    return {"subscribe": "subscribe", "scan": "scan", "click": "click"}.get(event)
