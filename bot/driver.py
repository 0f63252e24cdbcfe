"""Drive the real Dispatcher with synthetic updates: the seam the shell and the tests share.

A user types text, presses a button, or sends a sticker, photo or document; the driver turns
that into the Update Telegram would deliver, feeds it to the Dispatcher, and returns the Bot API
calls the handlers made while handling it.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    Location,
    Message,
    MessageEntity,
    PhotoSize,
    Poll,
    PollOption,
    Sticker,
    Update,
    User,
    Video,
    Voice,
)

from bot.clock import Clock
from bot.recording import Call, RecordingSession
from content.form_input import same_label


class ChatDriver:
    def __init__(self, dispatcher: Dispatcher, bot: Bot, session: RecordingSession,
                 clock: Clock, **data: Any) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session
        self.clock = clock
        self.data = data
        self._update_ids = session.update_ids
        self._query_ids = session.query_ids

    @staticmethod
    def user(user_id: int) -> User:
        return private_user(user_id, f"用户{user_id}")

    def _message(self, user_id: int, chat: Chat | None = None, **content: Any) -> Message:
        message = Message(
            message_id=self.session.next_message_id(),
            date=self.clock.now(),
            chat=chat or Chat(id=user_id, type="private"),
            from_user=self.user(user_id),
            **content,
        )
        self.session.remember(message)
        return message

    async def feed(self, update: Update) -> list[Call]:
        start = len(self.session.calls)
        await self.dispatcher.feed_update(self.bot, update, **self.data)
        return self.session.calls[start:]

    async def send_text(self, user_id: int, text: str,
                        entities: list[MessageEntity] | None = None,
                        reply_to: Message | None = None) -> list[Call]:
        """A text message; `entities` for formatting (bold, links …) as a client sends it;
        `reply_to`: a Telegram reply to that message (swiped on a phone)."""
        message = self._message(user_id, text=text, entities=entities or command_entities(text),
                                reply_to_message=reply_to)
        return await self.feed(Update(update_id=next(self._update_ids), message=message))

    async def send_content(self, user_id: int, kind: str, **extra: Any) -> list[Call]:
        """A non-text message: sticker, photo, voice, document, video, location or poll
        (extra: file_name, size, data (a document's bytes), caption, caption_entities,
        media_group_id)."""
        serial = next(self._update_ids)
        if kind == "sticker":
            content = {"sticker": Sticker(file_id=f"st{serial}", file_unique_id=f"ust{serial}",
                                          type="regular", width=512, height=512,
                                          is_animated=False, is_video=False, emoji="👍")}
        elif kind == "photo":
            size = extra.get("size", 120_000)
            content = {"photo": [PhotoSize(file_id=f"ph{serial}", file_unique_id=f"uph{serial}",
                                           width=1280, height=960, file_size=size)]}
        elif kind == "voice":
            content = {"voice": Voice(file_id=f"vo{serial}", file_unique_id=f"uvo{serial}",
                                      duration=3)}
        elif kind == "document":
            data = extra.get("data")  # real bytes: the bot can download them (getFile)
            if data is not None:
                self.session.files[f"doc{serial}"] = data
            content = {"document": Document(
                file_id=f"doc{serial}", file_unique_id=f"udoc{serial}",
                file_name=extra.get("file_name", "scan.jpg"),
                mime_type=extra.get("mime_type", "image/jpeg"),
                file_size=extra.get("size", 120_000 if data is None else len(data)))}
        elif kind == "video":
            content = {"video": Video(file_id=f"vi{serial}", file_unique_id=f"uvi{serial}",
                                      width=1280, height=720, duration=10,
                                      file_size=extra.get("size", 2_000_000))}
        elif kind == "location":
            content = {"location": Location(latitude=30.92, longitude=113.92)}
        elif kind == "poll":
            content = {"poll": Poll(
                id=f"po{serial}", question="明天几点集合？", is_closed=False, is_anonymous=True,
                type="regular", allows_multiple_answers=False, total_voter_count=0,
                allows_revoting=False, members_only=False,
                options=[PollOption(persistent_id=f"o{i}", text=t, voter_count=0)
                         for i, t in enumerate(("8点", "9点"))])}
        else:
            raise ValueError(f"unknown content kind {kind!r}")
        if extra.get("caption"):
            content["caption"] = extra["caption"]
            content["caption_entities"] = extra.get("caption_entities")
        if "media_group_id" in extra:
            content["media_group_id"] = extra["media_group_id"]
        for placed in ("chat", "reply_to_message", "message_thread_id", "is_topic_message"):
            if extra.get(placed) is not None:  # where send_group puts it
                content[placed] = extra[placed]
        message = self._message(user_id, **content)
        return await self.feed(Update(update_id=serial, message=message))

    async def send_group(self, chat_id: int, user_id: int, text: str | None = None, *,
                         thread_id: int | None = None, reply_to: Message | None = None,
                         chat_type: str = "supergroup", forum: bool = True,
                         kind: str | None = None, **extra: Any) -> list[Call]:
        """`user_id` writes in a group: text, or a `kind` as send_content; in a forum topic
        (`thread_id`), as a reply (`reply_to`); a plain group: chat_type="group", forum=False."""
        chat = Chat(id=chat_id, type=chat_type, title=f"群 {chat_id}", is_forum=forum or None)
        placed: dict[str, Any] = {"chat": chat, "reply_to_message": reply_to}
        if thread_id is not None:
            placed |= {"message_thread_id": thread_id, "is_topic_message": True}
        if kind is not None:
            return await self.send_content(user_id, kind, **extra, **placed)
        message = self._message(user_id, text=text, entities=command_entities(text or ""),
                                **placed)
        return await self.feed(Update(update_id=next(self._update_ids), message=message))

    def button_data(self, user_id: int, label: str) -> tuple[Message, str] | None:
        """The newest message with a button labelled `label` (exactly, or as typed: without
        its "✅ " or "🔔 ", see content.form_input.same_label), and that button's data."""
        chat = [m for (cid, _), m in self.session.messages.items()
                if cid == user_id and m.reply_markup is not None]
        for message in sorted(chat, key=lambda m: m.message_id, reverse=True):
            buttons = [b for row in message.reply_markup.inline_keyboard for b in row
                       if b.callback_data]
            exact = [b for b in buttons if b.text == label]
            named = exact or [b for b in buttons if same_label(label, b.text)]
            if len(named) == 1 or exact:
                return message, named[0].callback_data
        return None

    def latest_buttons(self, user_id: int) -> list[str]:
        message = self.session.latest_with_buttons(user_id)
        if message is None:
            return []
        return [b.text for row in message.reply_markup.inline_keyboard for b in row]

    async def press(self, user_id: int, label: str) -> list[Call] | None:
        """Press the newest button with this label; None when there is no such button."""
        found = self.button_data(user_id, label)
        if found is None:
            return None
        message, data = found
        return await self.press_data(user_id, data, message)

    async def press_data(self, user_id: int, data: str, message: Message | None = None
                         ) -> list[Call]:
        """A callback query with any data (also forged or stale data, for tests)."""
        query = CallbackQuery(
            id=str(next(self._query_ids)),
            from_user=self.user(user_id),
            chat_instance=f"ci{user_id}",
            message=message or self._message(user_id, text="…"),
            data=data,
        )
        return await self.feed(Update(update_id=next(self._update_ids), callback_query=query))


def private_user(user_id: int, first_name: str) -> User:
    """The sender of a synthetic update (the shell's, a test's, a WeChat user's)."""
    return User(id=user_id, is_bot=False, first_name=first_name, language_code="zh-hans")


def command_entities(text: str) -> list[dict[str, Any]] | None:
    """The bot_command entity Telegram adds to a text starting with /."""
    if not text.startswith("/"):
        return None
    length = len(text.split(maxsplit=1)[0])
    return [{"type": "bot_command", "offset": 0, "length": length}]
