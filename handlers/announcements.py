"""The 🔕 button under every staff announcement: no more announcements of that campaign.

Reminders are a separate choice (handlers/reminders.py); /settings shows both. The button turns
into an undo. In the sender's preview the same button only explains itself.
"""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.announce_compose import OPT_OUT_PREFIX, opt_out_markup
from bot.clock import Clock
from content.catalogue import Catalogue
from content.texts import Texts
from storage.announcements import set_opt_out
from storage.models import User


class AnnounceCb(CallbackData, prefix=OPT_OUT_PREFIX):
    """off | on | pv (the preview's button), for one campaign."""

    action: str
    slug: str


async def on_button(query: CallbackQuery, callback_data: AnnounceCb, texts: Texts,
                    catalogue: Catalogue, session: AsyncSession, clock: Clock,
                    user: User | None) -> None:
    campaign = catalogue.get(callback_data.slug)
    action = callback_data.action
    if campaign is None or user is None or action not in ("off", "on", "pv"):
        await query.answer(texts("fallback.stale_button"), show_alert=True)
        return
    if action == "pv":
        await query.answer(texts("announce.preview_press"), show_alert=True)
        return
    off = action == "off"
    await set_opt_out(session, user_id=user.id, slug=campaign.slug, out=off, now=clock.now())
    await query.answer(texts("announce.opted_out" if off else "announce.opted_in",
                             campaign=campaign.name))
    if off:
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
            text=texts("reminders.button.announce_on"),
            callback_data=AnnounceCb(action="on", slug=campaign.slug).pack())]])
    else:
        keyboard = opt_out_markup(texts, campaign.slug)
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # a double tap: already changed
            await query.message.edit_reply_markup(reply_markup=keyboard)


def build_router() -> Router:
    router = Router(name="announcements")
    router.callback_query.register(on_button, AnnounceCb.filter())
    return router
