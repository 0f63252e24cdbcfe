"""The Bot API as a WeChat user sees it: the handlers' calls rendered and delivered.

WeChatSession answers every Bot API call the way Telegram would (it is a RecordingSession: a
sent message comes back as a Message, a callback query can be answered once), and turns what
the user should see into WeChat messages:

- while a WeChat update is being handled, the messages for that user collect in the update's
  Outbox; the callback endpoint sends them when the handler is done — as the passive reply when
  they fit one text and came within WeChat's 5 seconds, else through the customer-service API,
  merged into as few messages as the limits allow;
- anything else (a reminder, an announcement, a coordinator's answer) goes out at once through
  the customer-service API, inside the reply window WeChat granted the user (storage.wechat).
  Outside it, a delivery ledger row's message (bot.delivery_results.ROUTE is set) goes as the
  campaign's subscription template when the user accepted it (bot/wechat/subscriptions.py),
  else is refused with WindowClosed, so the row waits and is shown at the user's next message;
  anything else (a staff answer) is held as its text and shown then (storage.wechat.hold), as
  is what a failed send (WeChat down, network) could not deliver.

WeChat cannot edit or delete a sent message: an edit is sent as a new message, a deletion does
nothing (the privacy text says so before an ID number is asked for).

Files: a photo (sendPhoto: uploaded bytes, or a Telegram file, downloaded through the Bot API)
is uploaded as a temporary image and sent as an image message, its caption after it. WeChat's
customer-service messages carry no documents, and videos, voice and audio would need WeChat's
own formats: those, and a photo over WeChat's 10 MB, become their caption and a link to the file
(bot/wechat/files.py) when ZHAOLU_PUBLIC_URL is set; without it, or when the file cannot be had
(no Telegram, over the Bot API's 20 MB), a line says a file was left out.
"""

from __future__ import annotations

import contextvars
import hashlib
import html
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery_results import ROUTE, WindowClosed
from bot.recording import RecordingSession
from bot.wechat.api import UserGone, WeChatApi
from bot.wechat.api import WindowClosed as ApiWindowClosed
from bot.wechat.files import FileLinks
from bot.wechat.render import Out, merge, render, to_text
from bot.wechat.subscriptions import SubscriptionSender
from storage.wechat import by_user_id, hold, window_left

log = logging.getLogger(__name__)
KEEP_MESSAGES = 5000  # the newest messages kept for copies and edits
FILE_NOTE = "（此处原有一个文件，微信公众号无法发送文件；如需要，请在此留言，工作人员会另行提供。）"
IMAGE_NOTE = ("（此处原有一张图片，因微信的发送限制未能送达；如需要，请在此留言，"
              "工作人员会另行提供。）")
IMAGE_LIMIT = 10 * 1024 * 1024  # bytes: WeChat's temporary image
MEDIA_REUSE = timedelta(days=2)  # WeChat keeps temporary media 3 days
RECENT_FILES = 4  # Telegram files kept in memory (each at most 20 MB)
FILE_FIELDS = {"sendDocument": "document", "sendPhoto": "photo", "sendVideo": "video",
               "sendAudio": "audio", "sendVoice": "voice"}
SILENT = {"deleteMessage", "sendChatAction", "setMyCommands", "getMe", "setChatMenuButton",
          "deleteMyCommands", "pinChatMessage", "unpinChatMessage"}


@dataclass
class Outbox:
    """What the handlers sent to the user of the update being handled."""

    user_id: int
    messages: list[Out] = field(default_factory=list)

    def take(self) -> list[Out]:
        taken, self.messages = merge(self.messages), []
        return taken


CURRENT: contextvars.ContextVar[Outbox | None] = contextvars.ContextVar("wechat_outbox",
                                                                       default=None)


def translate(method: str, params: dict[str, Any], shown: dict[str, str] | None) -> list[Out]:
    """What the user sees of one Bot API call, as WeChat messages."""
    if method in ("sendMessage", "editMessageText"):
        return render(str(params.get("text", "")), params.get("reply_markup"))
    if method == "editMessageReplyMarkup":
        markup = params.get("reply_markup") or {}
        return render("", markup) if markup.get("inline_keyboard") else []
    if method == "answerCallbackQuery":
        return [Out(to_text(str(params["text"])))] if params.get("text") else []
    if method in ("sendDocument", "sendPhoto", "sendVideo", "sendAudio", "sendVoice"):
        caption = to_text(str(params.get("caption", "")))
        return render(f"{caption}\n{FILE_NOTE}".strip(), params.get("reply_markup"))
    if method == "copyMessage":
        text = (shown or {}).get("text", "")
        note = f"\n{FILE_NOTE}" if (shown or {}).get("file") else ""
        return render(f"{text}{note}".strip(), params.get("reply_markup"))
    return []


Deliver = Callable[..., Awaitable[str]]  # (user id, messages, whole=…) -> SENT | CLOSED | GONE
SENT, CLOSED, GONE, SUBSCRIBED = "sent", "closed", "gone", "subscribed"


class WeChatSession(RecordingSession):
    """`links`: files as links (ZHAOLU_PUBLIC_URL set), else a line says one was left out."""

    def __init__(self, deliver: Deliver, clock: Clock | None = None,
                 links: FileLinks | None = None) -> None:
        super().__init__(clock)
        self.deliver = deliver
        self.links = links
        self._recent: OrderedDict[str, bytes] = OrderedDict()  # Telegram file id -> bytes
        self._names: dict[str, str] = {}

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:
        result = await super().make_request(bot, method, timeout)
        call = self.calls.pop()  # nothing is kept but the messages a copy or an edit may need
        self._forget_old()
        if call.method in SILENT:
            return result
        outs = translate(call.method, call.params, call.shown)
        if call.method in FILE_FIELDS:
            outs = await self._file(bot, method, call) or outs
        chat = call.params.get("chat_id")
        user_id = int(chat) if chat is not None else None
        outbox = CURRENT.get()
        if outbox is not None and (user_id is None or user_id == outbox.user_id):
            outbox.messages.extend(outs)
        elif user_id is not None and outs:
            route = ROUTE.get()
            outcome = await self.deliver(user_id, merge(outs), whole=route is not None,
                                         campaign=route.campaign_slug if route else None)
            if route is not None:  # a ledger row: it records what happened
                if outcome == GONE:
                    raise TelegramForbiddenError(method, "Forbidden: the user unfollowed the "
                                                         "WeChat account")
                if outcome == CLOSED:
                    raise WindowClosed(method, "the WeChat reply window is closed")
                route.outcome = "subscribe_message" if outcome == SUBSCRIBED \
                    else "customer_service"
        return result

    async def _file(self, bot: Bot, method: TelegramMethod[Any], call: Any) -> list[Out] | None:
        """A file as WeChat takes it: a photo up to 10 MB as an image message, anything else
        as a link (one shared link for a ledger row's file: an announcement's); None (the
        caption and FILE_NOTE) when it cannot be had or linked."""
        chat = call.params.get("chat_id")
        if chat is None:
            return None
        caption = html.escape(to_text(str(call.params.get("caption", ""))))
        markup = call.params.get("reply_markup")
        value = getattr(method, FILE_FIELDS[call.method], None)
        route = ROUTE.get()
        if route is not None and isinstance(value, str) and call.method != "sendPhoto":
            if self.links is None:
                return None
            name = route.file_name or "文件"
            url = await self.links.shared(value, name, lambda: self._data(bot, value))
            return None if url is None else \
                render(f"{caption}\n{self.links.line(url, name)}".strip(), markup)
        found = await self._file_of(bot, value)
        if found is None:
            return None
        name, data = found
        if call.method == "sendPhoto" and len(data) <= IMAGE_LIMIT:
            return [Out("", image=data), *render(caption, markup)]
        if self.links is None:
            return None
        url = await self.links.link(int(chat), name, data)
        return render(f"{caption}\n{self.links.line(url, name)}".strip(), markup)

    async def _file_of(self, bot: Bot, value: Any) -> tuple[str, bytes] | None:
        """The file's name and bytes: uploaded with the call (a file the bot made), or a
        Telegram file (a staff member's) downloaded through the Bot API; None when it cannot be
        had (no Telegram, over the Bot API's 20 MB download limit)."""
        if isinstance(value, BufferedInputFile):
            return value.filename or "file", value.data
        if not isinstance(value, str):
            return None
        data = await self._data(bot, value)
        return None if data is None else (self._names.get(value, "file"), data)

    async def _data(self, bot: Bot, file_id: str) -> bytes | None:
        """A Telegram file's bytes; the last few are kept, so an announcement's photo is
        downloaded once, not once per WeChat recipient."""
        if file_id in self._recent:
            self._recent.move_to_end(file_id)
            return self._recent[file_id]
        try:
            found = await bot.get_file(file_id)
            downloaded = await bot.download_file(found.file_path or "")
        except Exception as error:  # noqa: BLE001 - any failure: the caption and a note
            log.info("file for a WeChat user not downloaded (%s): sent as a note",
                     type(error).__name__)
            return None
        if downloaded is None:
            return None
        self._names[file_id] = PurePosixPath(found.file_path or "file").name
        self._recent[file_id] = downloaded.getvalue()
        while len(self._recent) > RECENT_FILES:
            dropped, _ = self._recent.popitem(last=False)
            self._names.pop(dropped, None)
        return self._recent[file_id]

    def _forget_old(self) -> None:
        if len(self.messages) > KEEP_MESSAGES:
            for key in sorted(self.messages, key=lambda k: k[1])[:len(self.messages) // 2]:
                del self.messages[key]


class CustomerService:
    """Sends through the customer-service API inside the user's reply window.

    The window's messages are reserved in one short transaction and the outcome recorded in
    another: no transaction stays open while WeChat answers. What the window cannot carry, or
    WeChat failed to take, is held and shown at the user's next message; with `whole` (a ledger
    row, which keeps what could not go itself) it is all or nothing and nothing is held.
    """

    def __init__(self, api: WeChatApi, sessionmaker: async_sessionmaker[AsyncSession],
                 clock: Clock, subscriptions: SubscriptionSender | None = None) -> None:
        self.api = api
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.subscriptions = subscriptions
        self._uploaded: dict[str, tuple[str, datetime]] = {}  # sha256 -> (media id, until)

    async def __call__(self, user_id: int, messages: list[Out], *, whole: bool = False,
                       campaign: str | None = None) -> str:
        """SENT; SUBSCRIBED (`whole` only: the window was closed, the campaign's subscription
        template carried it); CLOSED; GONE. Without `whole`, what could not go (window closed,
        or WeChat failed) is held for the user's next message (storage.wechat.hold)."""
        reserved = await self._reserve(user_id, len(messages), whole)
        if reserved is None:
            log.warning("WeChat user %s unknown or gone: %d message(s) not sent", user_id,
                        len(messages))
            return GONE
        openid, allowed = reserved
        sent, outcome, failure = 0, CLOSED, None
        for message in messages[:allowed]:
            try:
                media = None if message.image is None else await self._media(message.image)
                await self.api.send(message.payload(openid, media))
            except ApiWindowClosed:
                break
            except UserGone:
                outcome = GONE
                break
            except Exception as error:
                if whole:  # a ledger row: the sender retries it
                    raise
                failure = error
                break
            sent += 1
        if sent == len(messages):
            return SENT
        if whole and sent == 0 and outcome == CLOSED and self.subscriptions is not None and \
                await self.subscriptions(user_id, openid, campaign, messages):
            return SUBSCRIBED
        unsent = [] if whole or outcome == GONE else messages[sent:]
        await self._settle(user_id, unsent=unsent, outcome=outcome,
                           tried=sent < allowed and failure is None)
        if failure is not None:
            log.warning("WeChat send to user %s failed (%s): %d message(s) held for the "
                        "user's next message", user_id, type(failure).__name__, len(unsent))
        return outcome

    async def _media(self, image: bytes) -> str:
        """The image uploaded as temporary media, once for the same bytes while WeChat keeps it
        (3 days; reused for 2): an announcement's photo is not uploaded per recipient."""
        key = hashlib.sha256(image).hexdigest()
        now = self.clock.now()
        known = self._uploaded.get(key)
        if known is not None and known[1] > now:
            return known[0]
        media = await self.api.upload_image(image)
        self._uploaded = {k: v for k, v in self._uploaded.items() if v[1] > now}
        self._uploaded[key] = (media, now + MEDIA_REUSE)
        return media

    async def _reserve(self, user_id: int, count: int, whole: bool) -> tuple[str, int] | None:
        async with self.sessionmaker() as session, session.begin():
            row = await by_user_id(session, user_id)
            if row is None or row.gone_at is not None:
                return None
            allowed = min(count, window_left(row, self.clock.now()))
            if whole and allowed < count:
                allowed = 0
            row.window_left -= allowed
            return row.openid, allowed

    async def _settle(self, user_id: int, *, unsent: list[Out], outcome: str,
                      tried: bool) -> None:
        """`tried`: WeChat itself refused (45015, 45047, 43004), not only our count."""
        async with self.sessionmaker() as session, session.begin():
            row = await by_user_id(session, user_id)
            if row is None:
                return
            if outcome == GONE:
                row.gone_at = self.clock.now()
                return
            if tried:
                row.window_left = 0
            if await hold(session, user_id=user_id, texts=[held_text(m) for m in unsent],
                          now=self.clock.now()):
                log.info("WeChat user %s: %d message(s) held for the user's next message",
                         user_id, len(unsent))


def held_text(message: Out) -> str:
    """What is kept of a message that could not go: its text (a menu's buttons are stale by
    the time it is shown; an image is named, not kept)."""
    if message.image is not None:
        return IMAGE_NOTE
    return message.text
