"""An applicant's question on its way to staff, and the staff's copies kept current.

Where it goes: the campaign's staff group, when one is bound (a forum topic per thread, created
on demand; the question mirrored there); otherwise a card with 回复 / 已处理 in the private chat of
every staff member in scope: the base's staff when the applicant pre-registered (first choice),
the campaign's coordinators, and the admins. When a topic cannot be created (the bot is not an
admin with "Manage topics"), the question goes the private way and the admins are told once.
Every copy is mapped to the thread (storage/inbox.py), so replying to any of them answers it.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, Message, ReplyParameters
from sqlmodel.ext.asyncio.session import AsyncSession

from content.schema import Campaign
from content.texts import Raw, Texts
from handlers.staff.keyboards import button, markup
from storage import inbox as repo
from storage import inbox_groups as groups
from storage.inbox import CARD, CLOSED, MEDIA, MIRROR, WAITING, InboxMessage, InboxThread
from storage.staff import ADMIN, BASE_STAFF, COORDINATOR, list_grants
from storage.users import get_user

log = logging.getLogger(__name__)

CARD_BODY_MAX = 3000  # longer questions: the card shows this much, the full text follows
TOPIC_NAME_MAX = 128
CAPTION_MAX = 1024


@dataclass(frozen=True)
class Posted:
    copies: int  # staff copies that arrived (cards or one topic mirror)
    mode: str  # topic | private | none


async def recipients(session: AsyncSession, *, slug: str, base_id: str | None) -> list[int]:
    """Who gets the question privately: admins, the campaign's coordinators, the base's staff."""
    ids = []
    for g in await list_grants(session):
        if g.role == ADMIN or (g.campaign_slug == slug and (
                g.role == COORDINATOR or (g.role == BASE_STAFF and base_id is not None
                                          and g.base_id == base_id))):
            ids.append(g.telegram_id)
    return list(dict.fromkeys(ids))


def person_label(first: str | None, last: str | None = None, username: str | None = None,
                 fallback: str = "") -> str:
    from content.masking import mask_personal_numbers

    name = " ".join(p for p in (first, last) if p) or (f"@{username}" if username else "")
    return mask_personal_numbers(name)[:64] or fallback


async def status_line(session: AsyncSession, texts: Texts, thread: InboxThread) -> str:
    if thread.status == CLOSED:
        closer = await get_user(session, user_id=thread.closed_by or 0)
        who = person_label(closer.first_name, closer.last_name, closer.username) if closer \
            else texts("staff.who.unknown", id=thread.closed_by or "")
        return texts("inbox.status.closed", who=who)
    if thread.claimed_label is None:
        return texts("inbox.status.waiting")
    line = texts("inbox.status.answered", who=thread.claimed_label)
    others = [r for r in await repo.repliers(session, thread_id=thread.id or 0)
              if r != thread.claimed_label]
    if others:
        line += texts("inbox.status.also", others="、".join(others))
    if thread.status == WAITING:  # a follow-up came after the reply
        line += "\n" + texts("inbox.status.waiting")
    return line


def _body(texts: Texts, message: InboxMessage) -> tuple[str, str | None]:
    """The card's quoted body (HTML) and, when too long for a card, the full text to follow."""
    parts = []
    if message.kind != "text":
        parts.append(texts("inbox.card.media", kind=texts(f"kind.{message.kind}")))
    plain = message.text or ""
    overflow = None
    if len(plain) > CARD_BODY_MAX:
        plain, overflow = plain[:CARD_BODY_MAX] + "…", message.text
    if plain:
        parts.append(f"<blockquote>{html.escape(plain, quote=False)}</blockquote>")
    elif message.kind != "text":
        parts.append(texts("inbox.card.no_text"))
    if overflow:
        parts.append(texts("inbox.card.cut"))
    return "\n".join(parts), overflow


async def card_text(session: AsyncSession, texts: Texts, campaign: Campaign, thread: InboxThread,
                    message: InboxMessage, *, topic: bool) -> tuple[str, str | None]:
    first = await repo.messages_of(session, thread_id=thread.id or 0)
    follow_up = bool(first) and first[0].id != message.id
    base = next((b.name for b in campaign.plan.bases if b.id == thread.base_id), None)
    lines = [texts("inbox.card.title_more" if follow_up else "inbox.card.title", id=thread.id,
                   campaign=campaign.name),
             texts("inbox.card.who", label=thread.label,
                   base=Raw(texts("inbox.card.base", base=base)) if base else "")]
    if message.masked:
        lines.append(texts("inbox.card.masked"))
    body, overflow = _body(texts, message)
    lines += [body, await status_line(session, texts, thread),
              texts("inbox.card.howto_topic" if topic else "inbox.card.howto_private")]
    return "\n".join(lines), overflow


def card_markup(texts: Texts, thread: InboxThread, *, topic: bool) -> InlineKeyboardMarkup:
    close = button(texts("inbox.button.close"), "icl", thread.id or 0)
    if topic:
        return markup([close])
    return markup([button(texts("inbox.button.reply"), "irp", thread.id or 0), close])


async def _post(bot: Bot, session: AsyncSession, texts: Texts, campaign: Campaign,
                thread: InboxThread, message: InboxMessage, *, chat_id: int,
                topic_id: int | None) -> Message:
    """The card (or topic mirror), then the file and the overflow as replies to it."""
    topic = topic_id is not None
    text, overflow = await card_text(session, texts, campaign, thread, message, topic=topic)
    card = await bot.send_message(chat_id, text, message_thread_id=topic_id,
                                  reply_markup=card_markup(texts, thread, topic=topic))
    await repo.add_copy(session, thread=thread, chat_id=chat_id, message_id=card.message_id,
                        role=MIRROR if topic else CARD, inbox_message_id=message.id)
    under = ReplyParameters(message_id=card.message_id, allow_sending_without_reply=True)
    extra: Message | None = None
    # The file again by its file_id, with the caption as kept (masked; plain, not parsed).
    caption = (message.text or "")[:CAPTION_MAX] or None
    if message.kind == "photo" and message.file_id:
        extra = await bot.send_photo(chat_id, message.file_id, caption=caption, parse_mode=None,
                                     message_thread_id=topic_id, reply_parameters=under)
    elif message.kind == "document" and message.file_id:
        extra = await bot.send_document(chat_id, message.file_id, caption=caption,
                                        parse_mode=None, message_thread_id=topic_id,
                                        reply_parameters=under)
    if extra is not None:
        await repo.add_copy(session, thread=thread, chat_id=chat_id, message_id=extra.message_id,
                            role=MEDIA, inbox_message_id=message.id)
    if overflow:
        full = await bot.send_message(chat_id, overflow, parse_mode=None,
                                      message_thread_id=topic_id, reply_parameters=under)
        await repo.add_copy(session, thread=thread, chat_id=chat_id, message_id=full.message_id,
                            role=MEDIA, inbox_message_id=message.id)
    return card


async def post_question(bot: Bot, session: AsyncSession, texts: Texts, campaign: Campaign,
                        thread: InboxThread, message: InboxMessage, now: datetime) -> Posted:
    group = await groups.group_of(session, campaign_slug=campaign.slug)
    if group is not None and await _to_topic(bot, session, texts, campaign, thread, message,
                                             group, now):
        return Posted(1, "topic")
    sent = 0
    for staff_id in await recipients(session, slug=campaign.slug, base_id=thread.base_id):
        try:
            await _post(bot, session, texts, campaign, thread, message, chat_id=staff_id,
                        topic_id=None)
        except TelegramAPIError as error:  # blocked the bot, never started it …
            log.warning("inbox card for thread %s not delivered to a staff member: %s",
                        thread.id, type(error).__name__)
            continue
        sent += 1
    return Posted(sent, "private" if sent else "none")


async def _to_topic(bot: Bot, session: AsyncSession, texts: Texts, campaign: Campaign,
                    thread: InboxThread, message: InboxMessage, group: groups.StaffGroup,
                    now: datetime) -> bool:
    """Mirror into the thread's topic (created when missing, once more when deleted)."""
    for attempt in range(2):
        topic = thread.topic_id if thread.group_chat_id == group.chat_id else None
        if topic is None or attempt:
            topic = await _new_topic(bot, session, texts, campaign, thread, group, now)
            if topic is None:
                break
        try:
            await _post(bot, session, texts, campaign, thread, message, chat_id=group.chat_id,
                        topic_id=topic)
        except TelegramBadRequest as error:  # the topic was deleted: a new one, once
            log.warning("inbox mirror for thread %s failed: %s", thread.id, error.message)
            continue
        except TelegramAPIError as error:  # the bot was removed from the group
            log.warning("inbox mirror for thread %s failed: %s", thread.id,
                        type(error).__name__)
            break
        return True
    await _group_failed(bot, session, texts, campaign, group, now)
    return False


async def _new_topic(bot: Bot, session: AsyncSession, texts: Texts, campaign: Campaign,
                     thread: InboxThread, group: groups.StaffGroup, now: datetime) -> int | None:
    name = texts("inbox.topic_name", id=thread.id, label=Raw(thread.label))[:TOPIC_NAME_MAX]
    try:
        topic = await bot.create_forum_topic(chat_id=group.chat_id, name=name)
    except TelegramAPIError as error:
        log.warning("no forum topic in the staff group of %s: %s", campaign.slug,
                    type(error).__name__)
        return None
    await groups.mark_group_failed(session, group=group, now=None)
    await repo.set_topic(session, thread=thread, chat_id=group.chat_id,
                         topic_id=topic.message_thread_id)
    return topic.message_thread_id


async def _group_failed(bot: Bot, session: AsyncSession, texts: Texts, campaign: Campaign,
                        group: groups.StaffGroup, now: datetime) -> None:
    """The question goes the private way; the admins hear of it the first time only."""
    if await groups.mark_group_failed(session, group=group, now=now):
        await tell_admins(bot, session, texts("inbox.group.fallback", campaign=campaign.name))


async def tell_admins(bot: Bot, session: AsyncSession, text: str) -> None:
    admins = {g.telegram_id for g in await list_grants(session) if g.role == ADMIN}
    for admin in sorted(admins):
        try:
            await bot.send_message(admin, text)
        except TelegramAPIError as error:
            log.warning("an admin could not be told about the staff group: %s",
                        type(error).__name__)


async def refresh_cards(bot: Bot, session: AsyncSession, texts: Texts, campaign: Campaign,
                        thread: InboxThread) -> None:
    """Every copy carrying the thread's status shows it as it is now (who answered, closed)."""
    for copy in await repo.cards_of(session, thread_id=thread.id or 0):
        message = await repo.get_message(session, message_id=copy.inbox_message_id or 0)
        if message is None:
            continue
        topic = copy.role == MIRROR
        text, _ = await card_text(session, texts, campaign, thread, message, topic=topic)
        try:
            await bot.edit_message_text(text=text, chat_id=copy.chat_id,
                                        message_id=copy.message_id,
                                        reply_markup=card_markup(texts, thread, topic=topic))
        except TelegramBadRequest:
            continue  # not modified (a double tap), or deleted by its reader
        except TelegramAPIError as error:
            log.warning("inbox card %s not updated: %s", copy.id, type(error).__name__)
