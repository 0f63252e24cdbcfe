"""The router tree, built fresh for every Dispatcher (a router attaches to one parent only).

Order matters: commands and feature flows first, the free-text catch-all (Q&A) and the fallbacks
for anything else last.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import BotCommand

from content.texts import Texts
from handlers import eligibility, fallback, menu, qa, registration, reminders, start

# (command, text key of its description), in the order Telegram shows them.
COMMANDS = (
    ("start", "commands.start"),
    ("menu", "commands.menu"),
    ("campaign", "commands.campaign"),
    ("check", "eligibility.command"),
    ("register", "registration.command"),
    ("my", "registration.command_my"),
    ("mydata", "registration.command_mydata"),
    ("delete_my_data", "registration.command_delete"),
    ("subscribe", "reminders.command.subscribe"),
    ("unsubscribe", "reminders.command.unsubscribe"),
    ("help", "commands.help"),
)


def build_router() -> Router:
    root = Router(name="zhaolu")
    # zhaolu talks to applicants one to one; personal data never goes to a group.
    root.message.filter(F.chat.type == ChatType.PRIVATE)
    root.include_routers(
        start.build_router(),
        menu.build_router(),
        reminders.build_router(),
        eligibility.build_router(),
        registration.build_router(),
    )
    # Catch-alls last: free text (the Q&A), then anything else.
    root.include_router(qa.build_router())
    root.include_router(fallback.build_router())
    return root


def bot_commands(texts: Texts) -> list[BotCommand]:
    return [BotCommand(command=name, description=texts(key)) for name, key in COMMANDS]
