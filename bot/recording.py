"""A session that records the Bot API calls instead of sending them.

The shell, the tests and the benchmarks drive the real Dispatcher and Bot with it: every
outgoing request is kept as a :class:`Call` (the method name and the parameters exactly as they
would go over the wire, defaults resolved) and answered with a plausible result, so handlers
that use the returned Message (its id, its chat) behave as on Telegram.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BufferedInputFile,
    Chat,
    ChatMemberAdministrator,
    ChatMemberMember,
    Document,
    File,
    ForumTopic,
    InlineKeyboardMarkup,
    Message,
    MessageId,
    PhotoSize,
    User,
)

from bot.clock import Clock

# What a copy carries over from its source (Telegram: everything but the keyboard and who).
_COPIED = {"text", "entities", "caption", "caption_entities", "photo", "document", "video",
           "link_preview_options"}
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what a bot may download through getFile (Bot API)
BOT_USER = User(id=42, is_bot=True, first_name="招录助手", username="zhaolu_bot")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None
    # For copyMessage: what the copy shows ({"text": …, "file": …}); the params name only ids.
    shown: dict[str, str] | None = None
    # The bytes of files uploaded with the call (sendDocument with a BufferedInputFile …).
    files: dict[str, bytes] | None = None

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        shown = (self.shown or {}).get("text")
        return str(self.params.get("text") or self.params.get("caption") or shown or "")

    @property
    def button_rows(self) -> list[list[tuple[str, str]]]:
        """The keyboard as shown: rows of (label, callback_data or url or '')."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[(b.get("text", ""), b.get("callback_data") or b.get("url") or "") for b in row]
                for row in rows]

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Every button as (label, callback_data or url or ''), row after row, in one list."""
        return [button for row in self.button_rows for button in row]


Responder = Callable[[Call], Any]


class Ids:
    """An id counter that says the last id it gave (the shell saves it for the next process)."""

    def __init__(self, last: int = 0) -> None:
        self.last = last

    def __iter__(self) -> Ids:
        return self

    def __next__(self) -> int:
        self.last += 1
        return self.last


class RecordingSession(BaseSession):
    """Records calls; `responders[method]` may return a result or raise (to inject errors)."""

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__()
        self.clock = clock or Clock()
        self.calls: list[Call] = []
        self.responders: dict[str, Responder] = {}
        self.messages: dict[tuple[int, int], Message] = {}
        # Chats whose user blocked the bot: sending or editing there answers 403, as Telegram.
        self.forbidden_chats: set[int] = set()
        # Update and callback query ids, here so they keep counting across a driver's restart
        # (Telegram never reuses a callback query id; a reused one is refused as answered).
        self.update_ids = Ids()
        self.query_ids = Ids()
        self._answered: set[str] = set()
        self.message_ids = Ids()
        # file_id -> bytes: what users uploaded (the driver's documents) and what the bot sent,
        # served by getFile + Bot.download as Telegram's file server would.
        self.files: dict[str, bytes] = {}

    def next_message_id(self) -> int:
        return next(self.message_ids)

    async def close(self) -> None:
        return None

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None,
                             timeout: int = 30, chunk_size: int = 65536,
                             raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        """A download (Bot.download): the bytes of the file whose getFile path ends the URL."""
        file_id = url.rsplit("/", 1)[-1]
        data = self.files.get(file_id, b"")
        for start in range(0, len(data), chunk_size):
            yield data[start:start + chunk_size]

    def serialise(self, bot: Bot, method: TelegramMethod[Any],
                  files: dict[str, Any] | None = None) -> dict[str, Any]:
        files = {} if files is None else files
        params = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "" and prepared != []:
                params[key] = prepared
        return params

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:
        files: dict[str, Any] = {}
        call = Call(method.__api_method__, self.serialise(bot, method, files))
        uploaded = {name: f.data for name, f in files.items() if isinstance(f, BufferedInputFile)}
        call.files = uploaded or None
        self.calls.append(call)
        if call.method == "answerCallbackQuery":
            # As Telegram does: a query is answered once; a second answer is refused.
            query_id = str(call.params["callback_query_id"])
            if query_id in self._answered:
                raise TelegramBadRequest(method, "Bad Request: query is too old and response "
                                                 "timeout expired or query ID is invalid")
            self._answered.add(query_id)
        chat = call.params.get("chat_id")
        if chat is not None and int(chat) in self.forbidden_chats and \
                call.method.startswith(("send", "copy", "edit")):
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        responder = self.responders.get(call.method)
        if responder is not None:
            call.result = responder(call)
        else:
            call.result = self._default_result(method, call)
        return call.result

    def _default_result(self, method: TelegramMethod[Any], call: Call) -> Any:
        name = call.method
        if name == "getMe":
            return BOT_USER
        if name == "copyMessage":
            return self._copy(method, call)
        if name == "createForumTopic":
            return ForumTopic(message_thread_id=self.next_message_id(),
                              name=call.params["name"], icon_color=0x6FB9F0)
        if name == "getChatMember":
            return _member(int(call.params["chat_id"]), int(call.params["user_id"]))
        if name == "getFile":
            return self._file(method, call)
        if name.startswith("send") or name.startswith("edit"):
            if "inline_message_id" in call.params:
                return True
            return self._message_for(method, call)
        returning = getattr(method, "__returning__", None)
        if returning is bool:
            return True
        raise NotImplementedError(f"the recording session cannot answer {name}")

    def _message_for(self, method: TelegramMethod[Any], call: Call) -> Message:
        chat_id = int(call.params["chat_id"])
        existing = call.params.get("message_id")
        message_id = int(existing) if existing else self.next_message_id()
        old = self.messages.get((chat_id, message_id))
        if old is not None and _unchanged(old, method, call):
            # As Telegram does: an edit that changes nothing is refused.
            raise TelegramBadRequest(method, "Bad Request: message is not modified")
        markup = getattr(method, "reply_markup", None)
        fields: dict[str, Any] = {
            "message_id": message_id,
            "date": self._now(),
            "chat": chat_of(chat_id),
            "from_user": BOT_USER,
        }
        topic = call.params.get("message_thread_id") or (old.message_thread_id if old else None)
        if topic is not None:  # in a forum topic, as Telegram marks it
            fields["message_thread_id"], fields["is_topic_message"] = int(topic), True
        if isinstance(markup, InlineKeyboardMarkup):
            fields["reply_markup"] = markup
        if call.method in ("sendMessage", "editMessageText"):
            fields["text"] = call.params.get("text", old.text if old else "")
            fields["entities"] = getattr(method, "entities", None)
        elif call.method == "editMessageReplyMarkup" and old is not None:
            fields["text"] = old.text
        elif call.method == "sendDocument":
            fields["document"] = Document(file_id=f"doc{message_id}",
                                          file_unique_id=f"udoc{message_id}",
                                          file_name=_file_name(method))
            if call.files:
                self.files[f"doc{message_id}"] = next(iter(call.files.values()))
            fields["caption"] = call.params.get("caption")
        elif call.method == "sendPhoto":
            fields["photo"] = [PhotoSize(file_id=f"ph{message_id}",
                                         file_unique_id=f"uph{message_id}", width=800, height=600)]
            fields["caption"] = call.params.get("caption")
        message = Message(**fields)
        self.messages[(chat_id, message_id)] = message
        return message

    def _copy(self, method: TelegramMethod[Any], call: Call) -> MessageId:
        """As Telegram does: the source must exist; the copy keeps its content (a new caption
        replaces the old one) and takes the given keyboard, never the source's."""
        source = self.messages.get((int(call.params["from_chat_id"]),
                                    int(call.params["message_id"])))
        if source is None:
            raise TelegramBadRequest(method, "Bad Request: message to copy not found")
        chat_id = int(call.params["chat_id"])
        content = source.model_dump(include=_COPIED, exclude_none=True)
        if getattr(method, "caption", None) is not None and source.text is None:
            content["caption"] = method.caption
            content["caption_entities"] = method.caption_entities
        markup = getattr(method, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            content["reply_markup"] = markup
        copy = Message(message_id=self.next_message_id(), date=self._now(),
                       chat=chat_of(chat_id), from_user=BOT_USER, **content)
        self.messages[(chat_id, copy.message_id)] = copy
        call.shown = {"text": copy.text or copy.caption or ""}
        if copy.document is not None:
            call.shown["file"] = copy.document.file_name or "file"
        elif copy.photo:
            call.shown["file"] = "photo"
        elif copy.video is not None:
            call.shown["file"] = "video"
        return MessageId(message_id=copy.message_id)

    def _file(self, method: TelegramMethod[Any], call: Call) -> File:
        """As Telegram does: a known file_id, and only up to the bots' 20 MB download limit."""
        file_id = str(call.params["file_id"])
        data = self.files.get(file_id)
        if data is None:
            raise TelegramBadRequest(method, "Bad Request: invalid file_id")
        if len(data) > DOWNLOAD_LIMIT:
            raise TelegramBadRequest(method, "Bad Request: file is too big")
        return File(file_id=file_id, file_unique_id=f"u{file_id}", file_size=len(data),
                    file_path=f"documents/{file_id}")

    def remember(self, message: Message) -> None:
        """A message a user sent (the driver's), so the bot can copy it as on Telegram."""
        self.messages[(message.chat.id, message.message_id)] = message

    def _now(self) -> datetime:
        return self.clock.now()

    def latest_with_buttons(self, chat_id: int) -> Message | None:
        """The newest message in the chat that carries an inline keyboard."""
        candidates = [m for (cid, _), m in self.messages.items()
                      if cid == chat_id and m.reply_markup is not None]
        return max(candidates, key=lambda m: m.message_id, default=None)


def _member(chat_id: int, user_id: int) -> ChatMemberAdministrator | ChatMemberMember:
    """In a group, the bot is an administrator with every right (a responder may say
    otherwise); everyone else is a plain member."""
    if chat_id < 0 and user_id == BOT_USER.id:
        rights = {name: True for name, field in ChatMemberAdministrator.model_fields.items()
                  if name.startswith("can_") and field.annotation in (bool, bool | None)}
        return ChatMemberAdministrator(user=BOT_USER, is_anonymous=False, **rights)
    return ChatMemberMember(user=User(id=user_id, is_bot=False, first_name=str(user_id)))


def chat_of(chat_id: int) -> Chat:
    """A user's private chat (positive id) or a forum supergroup (negative id)."""
    if chat_id > 0:
        return Chat(id=chat_id, type="private")
    return Chat(id=chat_id, type="supergroup", title=f"群 {chat_id}", is_forum=True)


def _unchanged(old: Message, method: TelegramMethod[Any], call: Call) -> bool:
    if call.method == "editMessageText" and call.params.get("text") != old.text:
        return False
    return getattr(method, "reply_markup", None) == old.reply_markup


def _file_name(method: TelegramMethod[Any]) -> str | None:
    document = getattr(method, "document", None)
    return getattr(document, "filename", None)
