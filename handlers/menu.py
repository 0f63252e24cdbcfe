"""The main menu and the notice's sections, each citing its clauses."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.clock import Clock
from content.catalogue import Catalogue
from content.schema import Campaign
from content.sections import has_section, render_section
from content.texts import Texts
from handlers.keyboards import MenuCb, back_to_menu, chooser_keyboard, menu_keyboard
from handlers.paging import section_view


def menu_text(texts: Texts, campaign: Campaign) -> str:
    return texts("menu.title", name=campaign.name, citation=campaign.citation)


async def send_menu(message: Message, texts: Texts, campaign: Campaign) -> None:
    await message.answer(menu_text(texts, campaign), reply_markup=menu_keyboard(texts, campaign))


async def cmd_menu(message: Message, texts: Texts, catalogue: Catalogue,
                   campaign: Campaign | None) -> None:
    """/menu: the current campaign's menu, or the chooser when none is chosen yet."""
    if campaign is None:
        await message.answer(texts("menu.no_campaign"),
                             reply_markup=chooser_keyboard(catalogue.all(), None))
        return
    await send_menu(message, texts, campaign)


async def on_menu_button(query: CallbackQuery, callback_data: MenuCb, texts: Texts,
                         catalogue: Catalogue, clock: Clock) -> None:
    """A menu page: the main menu (empty section) or one section, edited in place."""
    campaign = catalogue.get(callback_data.slug)
    section = callback_data.section
    if campaign is None or (section and not has_section(campaign, section)):
        await query.answer(texts("fallback.stale_button"), show_alert=True)
        return
    if callback_data.section:
        view = section_page(texts, catalogue, clock, campaign.slug, section, 0)
        assert view is not None  # the section exists: it has a first page
        text, markup = view
    else:
        text, markup = menu_text(texts, campaign), menu_keyboard(texts, campaign)
    await query.answer()
    await show(query, text, markup)


def section_page(texts: Texts, catalogue: Catalogue, clock: Clock, slug: str, section: str,
                 page: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """Page `page` of a section, one phone screen (handlers/paging.py), or None if gone."""
    campaign = catalogue.get(slug)
    if campaign is None or not has_section(campaign, section):
        return None
    text = render_section(campaign, section, clock.now())
    markup = back_to_menu(texts, campaign)
    if section == "contacts":
        from handlers.ask_staff import with_ask_button  # 💬 问老师 under the contacts

        markup = with_ask_button(texts, markup)
    return section_view(texts, text, page, markup, slug, section)


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    """Edit the pressed message in place; send anew when it cannot be edited."""
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            # A double tap asks for the same content again: nothing to change, nothing to send.
            if "not modified" in str(error):
                return
    if query.from_user is not None:
        with contextlib.suppress(TelegramBadRequest):
            await query.bot.send_message(query.from_user.id, text, reply_markup=markup)


async def cmd_help(message: Message, texts: Texts) -> None:
    """/help: what the bot does and its commands."""
    from handlers import COMMANDS  # the one list, also registered with set_my_commands

    lines = [texts("help.line", command=name, description=texts(key)) for name, key in COMMANDS]
    await message.answer("\n".join([texts("help.title"), *lines, texts("help.tip")]))


def build_router() -> Router:
    router = Router(name="menu")
    router.message.register(cmd_menu, Command("menu"))
    router.message.register(cmd_help, Command("help"))
    router.callback_query.register(on_menu_button, MenuCb.filter())
    return router

