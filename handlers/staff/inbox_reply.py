"""A staff reply on its way back to the applicant, as the bot, under a header naming who answers.

The header names the base when the thread has one (【汉川市人民医院 老师答复】), else the
campaign's staff; a 继续追问 button lets the applicant write again into the same thread. The
first reply claims the thread; every staff copy then shows who answered. An applicant who blocked
the bot (403) is marked blocked, the replier is told, and the reply stays stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from content.schema import Campaign
from content.texts import Texts
from handlers.staff.inbox_post import refresh_cards
from storage import audit
from storage import inbox as repo
from storage.inbox import InboxMessage, InboxThread
from storage.unanswered import mark_answered
from storage.users import mark_blocked

log = logging.getLogger(__name__)

TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
SENT, BLOCKED, FAILED = "sent", "blocked", "failed"


class AskCb(CallbackData, prefix="ask"):
    """The applicant's inbox buttons: new (问老师; ref an unanswered question or 0), send (that
    question as it is), more (继续追问; ref the thread)."""

    action: str
    ref: int = 0


@dataclass(frozen=True)
class Content:
    kind: str  # text | photo | document
    html: str  # as the sender formatted it
    plain: str
    file_id: str | None


def content_of(message: Message) -> Content | None:
    """What an inbox message may carry: text, one photo or one document (with a caption)."""
    if message.text is not None:
        return Content("text", message.html_text, message.text, None)
    caption, formatted = message.caption or "", message.html_text if message.caption else ""
    if message.photo:
        return Content("photo", formatted, caption, message.photo[-1].file_id)
    if message.document is not None:
        return Content("document", formatted, caption, message.document.file_id)
    return None


def header(texts: Texts, campaign: Campaign, thread: InboxThread) -> str:
    base = next((b.name for b in campaign.plan.bases if b.id == thread.base_id), None)
    if base is not None:
        return texts("ask.relay.header_base", base=base)
    return texts("ask.relay.header_campaign", campaign=campaign.name)


def more_markup(texts: Texts, thread: InboxThread) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=texts("ask.button.more"), callback_data=AskCb(action="more",
                                                           ref=thread.id or 0).pack())]])


@dataclass(frozen=True)
class Relayed:
    message: InboxMessage
    outcome: str  # sent | blocked | failed
    claimed: bool  # this reply claimed the thread


async def _send(bot: Bot, chat_id: int, head: str, content: Content,
                keyboard: InlineKeyboardMarkup) -> Message:
    """The answer under its header (split in two when together they exceed Telegram's limit):
    the last message sent, the one with 继续追问."""
    if content.kind == "text":
        if len(head) + 1 + len(content.plain) <= TEXT_LIMIT:
            return await bot.send_message(chat_id, f"{head}\n{content.html}",
                                          reply_markup=keyboard)
        await bot.send_message(chat_id, head)
        return await bot.send_message(chat_id, content.html, reply_markup=keyboard)
    send = bot.send_photo if content.kind == "photo" else bot.send_document
    if len(head) + 1 + len(content.plain) <= CAPTION_LIMIT:
        caption = f"{head}\n{content.html}" if content.plain else head
        return await send(chat_id, content.file_id, caption=caption, reply_markup=keyboard)
    await send(chat_id, content.file_id, caption=head)
    return await bot.send_message(chat_id, content.html, reply_markup=keyboard)


async def relay_reply(bot: Bot, session: AsyncSession, texts: Texts, campaign: Campaign, *,
                      thread: InboxThread, content: Content, staff_id: int, staff_label: str,
                      role: str, now: datetime) -> Relayed:
    outcome, sent = SENT, None
    try:
        sent = await _send(bot, thread.user_id, header(texts, campaign, thread), content,
                           more_markup(texts, thread))
    except TelegramForbiddenError:
        outcome = BLOCKED
        await mark_blocked(session, user_id=thread.user_id, now=now)
    except TelegramAPIError as error:
        log.warning("inbox reply for thread %s not delivered: %s", thread.id,
                    type(error).__name__)
        outcome = FAILED
    stored = await repo.add_message(session, thread=thread, direction=repo.OUT,
                                    kind=content.kind, text=content.plain, now=now,
                                    file_id=content.file_id, author_id=staff_id,
                                    author_label=staff_label, delivered=outcome == SENT)
    claimed = False
    if sent is not None:
        await repo.add_copy(session, thread=thread, chat_id=thread.user_id,
                            message_id=sent.message_id, role=repo.RELAY,
                            inbox_message_id=stored.id)
    if outcome == SENT:
        claimed = await repo.claim(session, thread=thread, staff_id=staff_id, label=staff_label,
                                   now=now)
        question_ids = await repo.take_unreplied(session, thread_id=thread.id or 0)
        if question_ids:
            await mark_answered(session, question_ids=question_ids, by=staff_id, now=now)
    await audit.record(session, action="inbox.reply", now=now, actor_id=staff_id, role=role,
                       campaign_slug=campaign.slug, base_id=thread.base_id,
                       message_ref=f"inbox:{thread.id}",
                       detail=f"thread #{thread.id} message #{stored.id} {outcome}")
    if outcome == SENT:
        await refresh_cards(bot, session, texts, campaign, thread)
    return Relayed(stored, outcome, claimed)


def outcome_text(texts: Texts, relayed: Relayed, thread: InboxThread, staff_id: int) -> str:
    if relayed.outcome == BLOCKED:
        return texts("inbox.reply.blocked", id=thread.id)
    if relayed.outcome == FAILED:
        return texts("inbox.reply.failed", id=thread.id)
    if relayed.claimed or thread.claimed_by in (None, staff_id):
        return texts("inbox.reply.sent", id=thread.id)
    return texts("inbox.reply.sent_claimed", id=thread.id, who=thread.claimed_label)
