"""发通知, steps 3–6: preview, urgent, now or at a time, confirm; and stopping one on its way.

Confirming moves the draft once (a conditional UPDATE: a double tap sends once), puts the
audience into the delivery ledger (sent by the one sender at the next tick, woken at once where
the scheduler runs) and turns the confirmation into the progress card.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.announce_compose import opt_out_markup
from bot.clock import SHANGHAI, Clock
from content.catalogue import Catalogue
from content.dates import WEEKDAYS, cn_date, cn_datetime
from content.reminders import in_quiet_hours
from content.schema import Campaign
from content.texts import Texts
from handlers.menu import show
from handlers.staff.announce import apart
from handlers.staff.announce_confirm import NOW, on_confirm, on_stop, send_time
from handlers.staff.keyboards import StaffCb, button, markup, rows
from handlers.staff.words import audience_label
from storage import announcements as repo
from storage import audit
from storage.audiences import Count, count, roster
from storage.staff import Access

DAYS_AHEAD = 7


async def options_view(session: AsyncSession, texts: Texts, catalogue: Catalogue,
                       a: repo.Announcement, figures: Count | None = None) -> tuple[str, object]:
    if figures is None:
        figures = count(await roster(session, slug=a.campaign_slug), a.audience, a.base_id)
    text = texts("announce.preview_note",
                 audience=audience_label(texts, catalogue, a.campaign_slug, a.audience, a.base_id),
                 reach=figures.reach, apart=apart(texts, figures),
                 urgent=texts("announce.urgent.yes" if a.urgent else "announce.urgent.no"))
    urgent = button(texts("announce.button.not_urgent" if a.urgent else "announce.button.urgent"),
                    "urg", a.id or 0)
    keyboard = markup([button(texts("announce.button.now"), "now", a.id or 0),
                       button(texts("announce.button.schedule"), "day", a.id or 0)],
                      [urgent, button(texts("announce.button.audience"), "build", a.id or 0)],
                      [button(texts("announce.button.discard"), "drop", a.id or 0)])
    return text, keyboard


async def on_preview(query: CallbackQuery, bot: Bot, texts: Texts, catalogue: Catalogue,
                     session: AsyncSession, announcement: repo.Announcement) -> None:
    """👁 预览: a copy exactly as recipients get it, then the sending options under it."""
    a = announcement
    figures = count(await roster(session, slug=a.campaign_slug), a.audience, a.base_id)
    if figures.reach == 0:
        await query.answer(texts("announce.empty"), show_alert=True)
        return
    await query.answer()
    assert a.preview_chat_id is not None and a.preview_message_id is not None
    await bot.copy_message(chat_id=query.from_user.id, from_chat_id=a.preview_chat_id,
                           message_id=a.preview_message_id, parse_mode=None,
                           reply_markup=opt_out_markup(texts, a.campaign_slug, preview=True))
    text, keyboard = await options_view(session, texts, catalogue, a, figures)
    await bot.send_message(query.from_user.id, text, reply_markup=keyboard)


async def on_options(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                     catalogue: Catalogue, staff: Access, session: AsyncSession, clock: Clock,
                     announcement: repo.Announcement) -> None:
    """⚠️ urgent (asks first, audited), or back to the options."""
    a = announcement
    if callback_data.action == "urg" and not a.urgent:
        await query.answer()
        await show(query, texts("announce.urgent_confirm"), markup(
            [button(texts("announce.button.urgent_ok"), "urgok", a.id or 0),
             button(texts("announce.button.back"), "opts", a.id or 0)]))
        return
    if callback_data.action in ("urg", "urgok"):
        a.urgent = callback_data.action == "urgok"
        session.add(a)
        if a.urgent:
            await audit.record(session, action="announce.urgent", now=clock.now(),
                               actor_id=staff.telegram_id, role=a.sender_role,
                               campaign_slug=a.campaign_slug, base_id=a.base_id,
                               message_ref=a.message_key)
    await query.answer()
    await show(query, *await options_view(session, texts, catalogue, a))


def _slots(day: date, now: datetime, urgent: bool) -> list[datetime]:
    hours = range(24) if urgent else range(8, 22)
    moments = [datetime.combine(day, time(h), tzinfo=SHANGHAI) for h in hours]
    return [m for m in moments if m > now + timedelta(minutes=1)]


async def on_schedule(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                      clock: Clock, announcement: repo.Announcement) -> None:
    """⏰ 定时发送: a day, then an hour (quiet hours only for urgent announcements)."""
    a, now = announcement, clock.now()
    back = button(texts("announce.button.back"), "opts", a.id or 0)
    today = now.date()
    if not callback_data.arg:
        days = [today + timedelta(days=n) for n in range(DAYS_AHEAD)]
        buttons = [button(_day_label(texts, d, today), "day", a.id or 0, d.strftime("%Y%m%d"))
                   for d in days if _slots(d, now, a.urgent)]
        await query.answer()
        await show(query, texts("announce.pick_day"), markup(*rows(buttons, 3), [back]))
        return
    try:
        day = datetime.strptime(callback_data.arg + "+0800", "%Y%m%d%z").date()
    except ValueError:
        await query.answer(texts("staff.gone"), show_alert=True)
        return
    slots = _slots(day, now, a.urgent)
    if not slots or day > today + timedelta(days=DAYS_AHEAD):
        await query.answer(texts("announce.no_slot"), show_alert=True)
        return
    buttons = [button(f"{m.hour:02d}:00", "time", a.id or 0, m.strftime("%Y%m%d%H%M"))
               for m in slots]
    quiet = "" if a.urgent else "\n" + texts("announce.pick_time_quiet")
    await query.answer()
    await show(query, texts("announce.pick_time", day=_day_label(texts, day, today), quiet=quiet),
               markup(*rows(buttons, 4), [button(texts("announce.button.back"), "day",
                                                 a.id or 0)]))


def _day_label(texts: Texts, day: date, today: date) -> str:
    named = {0: texts("announce.day.today"), 1: texts("announce.day.tomorrow")}
    prefix = named.get((day - today).days)
    plain = f"{cn_date(day, year=False)} 周{WEEKDAYS[day.weekday()]}"
    return f"{prefix} {plain}" if prefix else plain


async def on_confirm_screen(query: CallbackQuery, callback_data: StaffCb, texts: Texts,
                            catalogue: Catalogue, session: AsyncSession, clock: Clock,
                            announcement: repo.Announcement, campaign: Campaign) -> None:
    """🚀 立即发送 or a chosen time: everything once more, with the count, before sending."""
    a, now = announcement, clock.now()
    arg = NOW if callback_data.action == "now" else callback_data.arg
    try:
        send_at = send_time(arg, now, a.urgent)
    except ValueError:
        await query.answer(texts("staff.gone"), show_alert=True)
        return
    if send_at is not None and arg != NOW and (send_at <= now or (
            not a.urgent and in_quiet_hours(send_at))):
        await query.answer(texts("announce.scheduled_past"), show_alert=True)
        return
    figures = count(await roster(session, slug=a.campaign_slug), a.audience, a.base_id)
    if arg == NOW:
        when = texts("announce.when.now") if send_at is None else texts(
            "announce.when.quiet", when=cn_datetime(send_at))
    else:
        when = texts("announce.when.at", when=cn_datetime(send_at or now))
    text = texts("announce.confirm", campaign=campaign.name,
                 audience=audience_label(texts, catalogue, a.campaign_slug, a.audience, a.base_id),
                 reach=figures.reach, apart=apart(texts, figures), when=when,
                 urgent=texts("announce.urgent.yes" if a.urgent else "announce.urgent.no"))
    await query.answer()
    await show(query, text, markup([button(texts("announce.button.confirm"), "ok", a.id or 0, arg),
                                    button(texts("announce.button.back"), "opts", a.id or 0)]))


def build_router() -> Router:
    router = Router(name="staff.announce_send")
    router.callback_query.register(on_preview, StaffCb.filter(F.action == "prev"))
    router.callback_query.register(on_options, StaffCb.filter(F.action.in_({"urg", "urgok",
                                                                            "opts"})))
    router.callback_query.register(on_schedule, StaffCb.filter(F.action == "day"))
    router.callback_query.register(on_confirm_screen,
                                   StaffCb.filter(F.action.in_({"now", "time"})))
    router.callback_query.register(on_confirm, StaffCb.filter(F.action == "ok"))
    router.callback_query.register(on_stop, StaffCb.filter(F.action.in_({"stop", "stopok",
                                                                         "keep"})))
    return router

