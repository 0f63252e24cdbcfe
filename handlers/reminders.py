"""Subscribing to a campaign's reminders: the one-tap offer, /subscribe, /unsubscribe, settings.

The offer (`reminder_offer`) is shown by the start handler after a campaign is chosen; the button
under every reminder (`rm:off:<slug>`) stops that campaign's reminders and offers to undo.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from content.catalogue import Catalogue
from content.promises import NEWCOMER, titles_text, upcoming_titles
from content.reminders import cn_moment, plan
from content.schema import Campaign
from content.texts import Texts
from handlers.keyboards import MenuCb
from handlers.menu import show
from storage.announcements import opted_out, set_opt_out
from storage.models import User
from storage.subscriptions import (
    get_subscription,
    is_subscribed,
    subscribe,
    unsubscribe,
    user_audiences,
)


class ReminderCb(CallbackData, prefix="rm"):
    """on | later | stop | settings | enable | disable | an_on | an_off; the slug keeps old
    buttons right."""

    action: str
    slug: str = ""


def _button(texts: Texts, key: str, action: str, slug: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=texts(key),
                                callback_data=ReminderCb(action=action, slug=slug).pack())


def reminder_offer(texts: Texts, campaign: Campaign,
                   now: datetime | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """The one-tap offer after a campaign is chosen: text and keyboard. It names the events a
    reminder still goes out for (issue 12 §2: no promise the campaign file cannot keep)."""
    titles = upcoming_titles(campaign, now or datetime.min.replace(tzinfo=UTC), NEWCOMER, texts)
    return texts("reminders.offer", events=titles_text(titles)), InlineKeyboardMarkup(
        inline_keyboard=[[
        _button(texts, "reminders.button.on", "on", campaign.slug),
        _button(texts, "reminders.button.later", "later", campaign.slug),
    ]])


async def offer_if_undecided(session: AsyncSession, *, user_id: int, campaign: Campaign,
                             texts: Texts, now: datetime | None = None,
                             ) -> tuple[str, InlineKeyboardMarkup] | None:
    """The offer, unless the user already said yes or no for this campaign, or no reminder is
    still to come for a newcomer (every event has passed)."""
    if not campaign.reminders:
        return None
    if now is not None and not upcoming_titles(campaign, now, NEWCOMER, texts):
        return None
    if await get_subscription(session, user_id=user_id, slug=campaign.slug) is not None:
        return None
    return reminder_offer(texts, campaign, now)


async def subscribed_text(session: AsyncSession, *, user_id: int, campaign: Campaign,
                          texts: Texts, now: datetime) -> str:
    """Subscribed: the events still to be reminded of for this user, or that none are left."""
    mine = await user_audiences(session, user_id=user_id, slug=campaign.slug)
    titles = upcoming_titles(campaign, now, mine, texts)
    if not titles:
        return texts("reminders.subscribed_nothing_left", campaign=campaign.name)
    return texts("reminders.subscribed", campaign=campaign.name, events=titles_text(titles))


async def settings_view(session: AsyncSession, *, user_id: int, campaign: Campaign,
                        texts: Texts, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    """Reminders and staff announcements of one campaign: each on or off, with a toggle."""
    on = await is_subscribed(session, user_id=user_id, slug=campaign.slug)
    muted = await opted_out(session, user_id=user_id, slug=campaign.slug)
    mine = await user_audiences(session, user_id=user_id, slug=campaign.slug)
    upcoming = next((o for o in plan(campaign, texts)[0]
                     if o.due > now and mine & set(o.reminder.audience)), None)
    line = texts("reminders.no_upcoming") if upcoming is None else texts(
        "reminders.upcoming", when=cn_moment(upcoming.due), what=upcoming.event.title)
    text = texts("reminders.settings", campaign=campaign.name,
                 state=texts("reminders.state.on" if on else "reminders.state.off"),
                 upcoming=line,
                 announcements=texts("reminders.state.off" if muted else "reminders.state.on"))
    if not campaign.reminders and not on:  # the file has none: nothing to switch on
        text = texts("reminders.settings", campaign=campaign.name,
                     state=texts("reminders.state.none"), upcoming="",
                     announcements=texts("reminders.state.off" if muted
                                         else "reminders.state.on")).replace("\n\n", "\n")
    toggle = _button(texts, "reminders.button.off" if on else "reminders.button.on",
                     "disable" if on else "enable", campaign.slug)
    announcements = _button(texts, "reminders.button.announce_on" if muted else
                            "reminders.button.announce_off", "an_on" if muted else "an_off",
                            campaign.slug)
    back = InlineKeyboardButton(text=texts("button.back_to_menu"),
                                callback_data=MenuCb(slug=campaign.slug).pack())
    rows = [[toggle], [announcements], [back]] if campaign.reminders or on else [
        [announcements], [back]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def cmd_settings(message: Message, texts: Texts, session: AsyncSession,
                       user: User | None, campaign: Campaign | None, clock: Clock) -> None:
    """/settings: reminders and announcements of the current campaign."""
    if user is None or campaign is None:
        await message.answer(texts("reminders.no_campaign"))
        return
    text, markup = await settings_view(session, user_id=user.id, campaign=campaign, texts=texts,
                                       now=clock.now())
    await message.answer(text, reply_markup=markup)


async def cmd_subscribe(message: Message, texts: Texts, session: AsyncSession,
                        user: User | None, campaign: Campaign | None, clock: Clock) -> None:
    """/subscribe: reminders of the current campaign."""
    if user is None or campaign is None:
        await message.answer(texts("reminders.no_campaign"))
        return
    if await is_subscribed(session, user_id=user.id, slug=campaign.slug):
        await message.answer(texts("reminders.already_subscribed", campaign=campaign.name))
        return
    if not campaign.reminders:
        await message.answer(texts("reminders.none", campaign=campaign.name))
        return
    await subscribe(session, user_id=user.id, slug=campaign.slug, now=clock.now())
    await message.answer(await subscribed_text(session, user_id=user.id, campaign=campaign,
                                               texts=texts, now=clock.now()))


async def cmd_unsubscribe(message: Message, texts: Texts, session: AsyncSession,
                          user: User | None, campaign: Campaign | None, clock: Clock) -> None:
    """/unsubscribe: no more reminders of the current campaign."""
    if user is None or campaign is None:
        await message.answer(texts("reminders.no_campaign"))
        return
    if not await is_subscribed(session, user_id=user.id, slug=campaign.slug):
        await message.answer(texts("reminders.not_subscribed", campaign=campaign.name))
        return
    await unsubscribe(session, user_id=user.id, slug=campaign.slug, now=clock.now())
    await message.answer(texts("reminders.unsubscribed", campaign=campaign.name))


async def on_button(query: CallbackQuery, callback_data: ReminderCb, texts: Texts,
                    catalogue: Catalogue, session: AsyncSession, user: User | None,
                    campaign: Campaign | None, clock: Clock) -> None:
    """The offer (on, later), a reminder's stop button, the settings page and its toggle."""
    target = catalogue.get(callback_data.slug) if callback_data.slug else campaign
    if user is None or target is None:
        await query.answer(texts("reminders.stale") if callback_data.slug else
                           texts("reminders.no_campaign"), show_alert=True)
        return
    action, now = callback_data.action, clock.now()
    if action == "on":
        await subscribe(session, user_id=user.id, slug=target.slug, now=now)
        await query.answer()
        await show(query, await subscribed_text(session, user_id=user.id, campaign=target,
                                                texts=texts, now=now), None)
    elif action in ("enable", "disable", "an_on", "an_off"):  # a settings toggle: show it again
        if action.startswith("an_"):
            await set_opt_out(session, user_id=user.id, slug=target.slug,
                              out=action == "an_off", now=now)
        else:
            change = subscribe if action == "enable" else unsubscribe
            await change(session, user_id=user.id, slug=target.slug, now=now)
        await query.answer()
        await show(query, *await settings_view(session, user_id=user.id, campaign=target,
                                               texts=texts, now=now))
    elif action == "stop":  # under a reminder: keep its text, the button becomes an undo
        await unsubscribe(session, user_id=user.id, slug=target.slug, now=now)
        await query.answer(texts("reminders.stopped_short", campaign=target.name))
        await _offer_undo(query, texts, target)
    elif action == "later":
        await query.answer()
        await show(query, texts("reminders.declined"), None)
    elif action == "settings":  # the menu's button (empty slug: the current campaign)
        await query.answer()
        await show(query, *await settings_view(session, user_id=user.id, campaign=target,
                                               texts=texts, now=now))
    else:
        await query.answer(texts("reminders.stale"), show_alert=True)


async def _offer_undo(query: CallbackQuery, texts: Texts, campaign: Campaign) -> None:
    undo = InlineKeyboardMarkup(inline_keyboard=[[
        _button(texts, "reminders.button.on", "on", campaign.slug)]])
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # a double tap: already the undo
            await query.message.edit_reply_markup(reply_markup=undo)
        return
    await show(query, texts("reminders.unsubscribed", campaign=campaign.name), undo)


def build_router() -> Router:
    router = Router(name="reminders")
    router.message.register(cmd_subscribe, Command("subscribe"))
    router.message.register(cmd_unsubscribe, Command("unsubscribe"))
    router.message.register(cmd_settings, Command("settings"))
    router.callback_query.register(on_button, ReminderCb.filter())
    return router
