"""The router tree, built fresh for every Dispatcher (a router attaches to one parent only).

Order matters: commands and feature flows first, the free-text catch-all (Q&A) and the fallbacks
for anything else last.
"""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import BotCommand, CallbackQuery

from bot.staff_menus import commands
from content import commands as content_commands
from content.texts import Texts
from handlers import (
    announcements,
    ask_staff,
    eligibility,
    fallback,
    flow_exit,
    menu,
    paging,
    qa,
    registration,
    reminders,
    staff,
    staff_invite,
    start,
)
from handlers.flows import INT64_MAX
from handlers.staff.keyboards import StaffCb

COMMANDS = content_commands.COMMANDS  # one list, also registered with set_my_commands
_NUMBER = re.compile(r"\d+")


def build_router() -> Router:
    root = Router(name="zhaolu")
    # zhaolu talks to applicants one to one; personal data never goes to a group. Buttons
    # pressed in a group or channel are ignored the same way, but for the staff's own (the
    # inbox card in a staff group; the gate checks them).
    root.message.filter(F.chat.type == ChatType.PRIVATE)
    root.callback_query.filter(pressed_in_private)
    # Before anything reads a button's numbers: one no column can hold is an old or forged button.
    root.callback_query.register(stale_numbers, numbers_out_of_range)
    root.include_routers(
        # Staff first, behind its gate: a staff flow sees its own messages before the
        # applicant flows do; for everyone else the gate passes the update on unseen.
        staff.build_router(),
        staff_invite.build_router(),
        # Before the other flows: a command typed while asking a person leaves that first.
        ask_staff.build_router(),
        # A command typed in the self-check or the form pauses it (/cancel ends it) first.
        flow_exit.build_router(),
        start.build_router(),
        menu.build_router(),
        paging.build_router(),
        reminders.build_router(),
        eligibility.build_router(),
        registration.build_router(),
        announcements.build_router(),
    )
    # Catch-alls last: free text (the Q&A), then anything else.
    root.include_router(qa.build_router())
    root.include_router(fallback.build_router())
    return root


def pressed_in_private(query: CallbackQuery) -> bool:
    message = query.message
    in_private = message is not None and message.chat.type == ChatType.PRIVATE
    return in_private or (query.data or "").startswith(f"{StaffCb.__prefix__}:")


def numbers_out_of_range(query: CallbackQuery) -> bool:
    """A number beyond any integer column or Telegram id (rg:my_edit::99999999999999999999999)."""
    return any(int(n) > INT64_MAX for n in _NUMBER.findall(query.data or ""))


async def stale_numbers(query: CallbackQuery, texts: Texts) -> None:
    """Refused as the fallback refuses an unknown button, before any lookup could fail on it."""
    await query.answer(texts("fallback.stale_button"), show_alert=True)


def bot_commands(texts: Texts) -> list[BotCommand]:
    """The applicants' menu (staff get theirs per chat: bot/staff_menus.py)."""
    return commands(texts)
