"""The router tree, built fresh for every Dispatcher (a router attaches to one parent only).

Order matters: commands and feature flows first, the free-text catch-all (Q&A) and the fallbacks
for anything else last.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import BotCommand

from bot.staff_menus import commands
from content import commands as content_commands
from content.texts import Texts
from handlers import (
    announcements,
    ask_staff,
    eligibility,
    fallback,
    menu,
    qa,
    registration,
    reminders,
    staff,
    staff_invite,
    start,
)

COMMANDS = content_commands.COMMANDS  # one list, also registered with set_my_commands


def build_router() -> Router:
    root = Router(name="zhaolu")
    # zhaolu talks to applicants one to one; personal data never goes to a group.
    root.message.filter(F.chat.type == ChatType.PRIVATE)
    root.include_routers(
        # Staff first, behind its gate: a staff flow sees its own messages before the
        # applicant flows do; for everyone else the gate passes the update on unseen.
        staff.build_router(),
        staff_invite.build_router(),
        # Before the other flows: a command typed while asking a person leaves that first.
        ask_staff.build_router(),
        start.build_router(),
        menu.build_router(),
        reminders.build_router(),
        eligibility.build_router(),
        registration.build_router(),
        announcements.build_router(),
    )
    # Catch-alls last: free text (the Q&A), then anything else.
    root.include_router(qa.build_router())
    root.include_router(fallback.build_router())
    return root


def bot_commands(texts: Texts) -> list[BotCommand]:
    """The applicants' menu (staff get theirs per chat: bot/staff_menus.py)."""
    return commands(texts)
