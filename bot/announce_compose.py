"""An announcement as recipients see it: the sender's message under a header naming the campaign
and the sender, composed once in the sender's own chat (the preview) and copied from there.

Nothing is parsed: the sender's entities are carried over, shifted by the header's length in
UTF-16 code units (the unit Telegram counts offsets in), and sent with parse_mode None.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity
from aiogram.utils.text_decorations import html_decoration

from content.schema import Campaign
from content.texts import Texts

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# What an announcement may be: one message of these kinds (an album arrives as several).
KINDS = ("text", "photo", "document", "video")
OPT_OUT_PREFIX = "an"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def header(campaign: Campaign, sender_label: str) -> str:
    """【孝感市 2023 · 汉川市人民医院】"""
    return f"【{campaign.notice.region} {campaign.year} · {sender_label}】"


def sender_label(campaign: Campaign, base_id: str | None) -> str:
    """Who an announcement is from: the base for base staff, else the notice's issuer (a notice
    without one: its first contact's organisation, else the campaign's name)."""
    base = next((b for b in campaign.plan.bases if b.id == base_id), None)
    if base is not None:
        return base.name
    if campaign.notice.issuer:
        return campaign.notice.issuer
    return campaign.contacts[0].organisation if campaign.contacts else campaign.name


def kind_of(message: Message) -> str | None:
    """The announcement kind of a message, or None when it cannot be one."""
    if message.media_group_id is not None:
        return None
    if message.text is not None:
        return "text"
    for kind in KINDS[1:]:
        if getattr(message, kind) is not None:
            return kind
    return None


def file_of(message: Message) -> tuple[str, str] | None:
    """An announcement's file: Telegram's file id and the name to show (WeChat links)."""
    if message.photo:
        return message.photo[-1].file_id, "图片.jpg"
    if message.document is not None:
        return message.document.file_id, message.document.file_name or "文件"
    if message.video is not None:
        return message.video.file_id, message.video.file_name or "视频.mp4"
    return None


@dataclass(frozen=True)
class Composed:
    """The header and the sender's content, ready to send; `overflow` > 0 when too long."""

    kind: str
    body: str
    entities: list[MessageEntity]
    limit: int

    @property
    def length(self) -> int:
        return utf16_len(self.body)

    @property
    def overflow(self) -> int:
        return max(0, self.length - self.limit)

    @property
    def html(self) -> str:
        """The text (a file's caption) as HTML: what a channel that cannot copy a Telegram
        message (WeChat) is sent instead."""
        return html_decoration.unparse(self.body, self.entities)


def compose(message: Message, head: str) -> Composed:
    kind = kind_of(message) or "text"
    own = (message.text if kind == "text" else message.caption) or ""
    own_entities = (message.entities if kind == "text" else message.caption_entities) or []
    prefix = head + ("\n" if own else "")
    shift = utf16_len(prefix)
    entities = [MessageEntity(type="bold", offset=0, length=utf16_len(head))]
    entities += [e.model_copy(update={"offset": e.offset + shift}) for e in own_entities]
    return Composed(kind, prefix + own, entities, TEXT_LIMIT if kind == "text" else CAPTION_LIMIT)


def opt_out_markup(texts: Texts, slug: str, *, preview: bool = False) -> InlineKeyboardMarkup:
    """The 🔕 button under every announcement; in the preview it only explains itself."""
    action = "pv" if preview else "off"
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=texts("announce.button.opt_out"), callback_data=f"{OPT_OUT_PREFIX}:{action}:{slug}",
    )]])


async def send_preview(bot: Bot, message: Message, composed: Composed, *, chat_id: int,
                       markup: InlineKeyboardMarkup) -> int:
    """Put the announcement, as recipients will see it, into `chat_id`: its message id."""
    if composed.kind == "text":
        sent = await bot.send_message(chat_id=chat_id, text=composed.body,
                                      entities=composed.entities, parse_mode=None,
                                      link_preview_options=message.link_preview_options,
                                      reply_markup=markup)
        return sent.message_id
    copied = await bot.copy_message(chat_id=chat_id, from_chat_id=message.chat.id,
                                    message_id=message.message_id, caption=composed.body,
                                    caption_entities=composed.entities, parse_mode=None,
                                    reply_markup=markup)
    return copied.message_id
