"""/staff → 📊 统计: the campaign's figures as a short text, then the chart as a photo.

The figures are scoped to the viewer (storage/stats.py): an admin or the campaign's coordinator
sees the whole campaign, base staff their base(s). The chart is drawn in a thread (matplotlib is
blocking and takes up to a second); 🔄 刷新 under the photo draws both anew.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.stats_text import render, when_label
from content.catalogue import Catalogue
from content.schema import Campaign
from content.texts import Texts
from handlers.menu import show
from handlers.staff.gate import register_actions
from handlers.staff.keyboards import StaffCb, button, home_row, markup, rows
from storage.staff import Access
from storage.stats import Figures, figures, viewer_bases

log = logging.getLogger(__name__)
ACTION = "sta"  # arg: the campaign's slug ("" for the picker); ann=1: 🔄 刷新 under the photo
SENT_KEY = "staff_stats_sent"  # FSM data: [the pressed message, when] of the latest figures
DOUBLE_TAP_SECONDS = 5


async def check(data: StaffCb, access: Access, session: AsyncSession, catalogue: Catalogue,
                state: FSMContext) -> dict[str, Any] | None:
    """📊 统计 with no campaign: the picker (any staff); with one: it must be within reach."""
    if not data.arg:
        return {}
    campaign = catalogue.get(data.arg)
    if campaign is None or not access.reaches(campaign.slug):
        return None
    return {"campaign": campaign}


register_actions({ACTION}, check)


async def on_stats(query: CallbackQuery, callback_data: StaffCb, bot: Bot, texts: Texts,
                   catalogue: Catalogue, staff: Access, session: AsyncSession, clock: Clock,
                   state: FSMContext, campaign: Campaign | None = None) -> None:
    """The picker when several campaigns are open to the viewer, else the figures."""
    if campaign is None:
        slugs = staff.campaigns(catalogue.slugs)
        if len(slugs) != 1:
            choices = [button(c.name, ACTION, arg=c.slug) for c in catalogue if c.slug in slugs]
            await query.answer()
            key = "stats.pick_campaign" if choices else "stats.no_campaign"
            await show(query, texts(key), markup(*rows(choices, 1), home_row(texts)))
            return
        campaign = catalogue.get(slugs[0])
        assert campaign is not None
    await query.answer()
    if await _double_tap(query, state, clock):
        return
    found = await figures(session, campaign=campaign, now=clock.now(),
                          bases_scope=viewer_bases(staff, campaign.slug))
    text = render(texts, found)
    if callback_data.ann or not isinstance(query.message, Message):
        await bot.send_message(query.from_user.id, text)
    else:
        await show(query, text, markup(home_row(texts)))
    await _send_chart(bot, query.from_user.id, texts, found)


async def _double_tap(query: CallbackQuery, state: FSMContext, clock: Clock) -> bool:
    """The same button pressed again within seconds (a double tap): the figures are on their
    way already, so nothing is sent twice."""
    message = query.message
    pressed = f"{message.chat.id}:{message.message_id}" if message is not None else ""
    now = clock.now().timestamp()
    last = (await state.get_data()).get(SENT_KEY)
    if isinstance(last, list) and len(last) == 2 and last[0] == pressed \
            and 0 <= now - float(last[1]) < DOUBLE_TAP_SECONDS:
        return True
    await state.update_data({SENT_KEY: [pressed, now]})
    return False


async def _send_chart(bot: Bot, chat_id: int, texts: Texts, found: Figures) -> None:
    keyboard = markup([button(texts("stats.button.refresh"), ACTION, 1, found.slug)],
                      home_row(texts))
    await bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    try:
        png = await asyncio.to_thread(_draw, texts, found)
    except Exception:  # a chart that fails must not lose the text already sent
        log.exception("stats chart for %s failed", found.slug)
        await bot.send_message(chat_id, texts("stats.chart_failed"), reply_markup=keyboard)
        return
    photo = BufferedInputFile(png, filename=f"{found.slug}-stats.png")
    caption = texts("stats.caption", campaign=found.campaign, when=when_label(found))
    try:
        await bot.send_photo(chat_id, photo, caption=caption, reply_markup=keyboard)
    except TelegramAPIError:
        log.exception("sending the stats chart for %s failed", found.slug)
        await bot.send_message(chat_id, texts("stats.chart_failed"), reply_markup=keyboard)


def _draw(texts: Texts, found: Figures) -> bytes:
    """In a worker thread: matplotlib is imported on the first chart (about a second), there,
    not at start-up and not in the event loop."""
    from bot.stats_chart import draw_png

    return draw_png(texts, found)


def build_router() -> Router:
    router = Router(name="staff.stats")
    router.callback_query.register(on_stats, StaffCb.filter(F.action == ACTION))
    return router
