"""✅ 确认发送 and ⏹ 停止: the two staff actions that change what applicants receive.

Both move the announcement with a conditional UPDATE, so a double tap, or two staff pressing at
once, acts once; both are audited in the same transaction.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.announce_delivery import card_text, start_sending, stop_markup
from bot.app import Services
from bot.clock import SHANGHAI, Clock
from bot.delivery import stop_in_process
from content.catalogue import Catalogue
from content.dates import cn_datetime
from content.reminders import in_quiet_hours, out_of_quiet_hours
from content.schema import Campaign
from content.texts import Texts
from handlers.menu import show
from handlers.staff.keyboards import StaffCb, button, markup
from handlers.staff.words import audience_label
from storage import announcements as repo
from storage import audit
from storage import delivery as ledger
from storage.audiences import count, roster
from storage.staff import Access

log = logging.getLogger(__name__)
NOW = "now"


def send_time(arg: str, now: datetime, urgent: bool) -> datetime | None:
    """When it goes: None for at once; the quiet hours move a plain one to 08:00.
    Raises ValueError for data that is no time."""
    if arg == NOW:
        return None if urgent or not in_quiet_hours(now) else out_of_quiet_hours(now)
    return datetime.strptime(arg + "+0800", "%Y%m%d%H%M%z").astimezone(SHANGHAI)


async def on_confirm(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                     catalogue: Catalogue, staff: Access, session: AsyncSession, clock: Clock,
                     services: Services, announcement: repo.Announcement,
                     campaign: Campaign) -> None:
    a, now = announcement, clock.now()
    try:
        send_at = send_time(callback_data.arg, now, a.urgent)
    except ValueError:
        await query.answer(texts("staff.gone"), show_alert=True)
        return
    if send_at is not None and (send_at < now or (not a.urgent and in_quiet_hours(send_at))):
        await query.answer(texts("announce.scheduled_past"), show_alert=True)
        return
    reach = count(await roster(session, slug=a.campaign_slug), a.audience, a.base_id).reach
    if reach == 0:
        await query.answer(texts("announce.empty"), show_alert=True)
        return
    card = query.message if isinstance(query.message, Message) else None
    target = repo.SCHEDULED if send_at is not None else repo.SENDING
    moved = await repo.move(session, announcement_id=a.id or 0, from_statuses=[repo.DRAFT],
                            to=target, confirmed_at=now, send_at=send_at,
                            card_chat_id=card.chat.id if card else None,
                            card_message_id=card.message_id if card else None)
    if not moved:  # a second tap: the first one is already on its way
        await query.answer()
        return
    await session.refresh(a)
    where = audience_label(texts, catalogue, a.campaign_slug, a.audience, a.base_id)
    if send_at is None:
        reach = await start_sending(session, announcement=a, campaign=campaign, texts=texts,
                                    now=now)
        text = texts("announce.card.queued", id=a.id, reach=reach)
        keyboard = stop_markup(texts, a.id or 0)
    else:
        text = texts("announce.card.scheduled", id=a.id, when=cn_datetime(send_at),
                     audience=where, reach=reach)
        keyboard = markup([button(texts("announce.button.cancel_scheduled"), "stop", a.id or 0)])
    await audit.record(session, action="announce.send" if send_at is None else
                       "announce.schedule", now=now, actor_id=staff.telegram_id,
                       role=a.sender_role, campaign_slug=a.campaign_slug, base_id=a.base_id,
                       audience_size=reach, message_ref=a.message_key,
                       detail=f"audience={a.audience} urgent={'yes' if a.urgent else 'no'}"
                              + (f" at={send_at.isoformat()}" if send_at else ""))
    await query.answer()
    await show(query, text, keyboard)
    if send_at is None:
        services.wake_sender()


async def on_stop(query: CallbackQuery, callback_data: StaffCb, bot: Bot, texts: Texts,
                  staff: Access, session: AsyncSession, clock: Clock, services: Services,
                  announcement: repo.Announcement) -> None:
    """⏹: ask, then stop what has not gone yet (a scheduled one entirely)."""
    a, now = announcement, clock.now()
    if a.status not in (repo.SCHEDULED, repo.SENDING):
        await query.answer(texts("announce.already_finished", id=a.id,
                                 status=texts(f"announce.status.{a.status}")), show_alert=True)
        return
    if callback_data.action == "stop":
        await query.answer()
        keyboard = markup([button(texts("announce.button.stop_ok"), "stopok", a.id or 0),
                           button(texts("announce.button.keep"), "keep", a.id or 0)])
        if isinstance(query.message, Message):
            await query.message.answer(texts("announce.stop_confirm", id=a.id),
                                       reply_markup=keyboard)
        return
    if callback_data.action == "keep":
        await query.answer()
        await show(query, texts("announce.button.keep") + "。", None)
        return
    was = a.status
    if not await repo.move(session, announcement_id=a.id or 0, from_statuses=[was],
                           to=repo.CANCELLED, cancelled_by=staff.telegram_id,
                           finished_at=now if was == repo.SCHEDULED else None):
        await query.answer()
        return
    stopped = 0
    if was == repo.SENDING:
        # This process's sender first (at once), then the ledger (other processes, and the
        # rows no sender holds yet): a large UPDATE takes a moment, and sending goes on meanwhile.
        stop_in_process(a.message_key)
        stopped = await ledger.cancel(session, key=a.message_key, now=now)
    await audit.record(session, action="announce.cancel", now=now, actor_id=staff.telegram_id,
                       role=staff.role_in(a.campaign_slug) or "", campaign_slug=a.campaign_slug,
                       base_id=a.base_id, audience_size=stopped or None,
                       message_ref=a.message_key, detail=f"was={was}")
    await session.refresh(a)
    if was == repo.SCHEDULED:
        card = texts("announce.card.cancelled", id=a.id)
    else:
        card = card_text(texts, a, await ledger.status_counts(session, key=a.message_key),
                         now=now)[0]
        services.wake_sender()  # the tick reports the end
    await query.answer(texts("announce.stop_started", id=a.id))
    await show(query, card, None)
    await _edit_card(bot, a, card, None)


async def _edit_card(bot: Bot, a: repo.Announcement, text: str,
                     keyboard: InlineKeyboardMarkup | None) -> None:
    if a.card_chat_id is None or a.card_message_id is None:
        return
    with contextlib.suppress(TelegramAPIError):  # the same text (not modified), or deleted
        await bot.edit_message_text(text=text, chat_id=a.card_chat_id,
                                    message_id=a.card_message_id, reply_markup=keyboard)
