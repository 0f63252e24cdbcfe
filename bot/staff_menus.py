"""Staff command menus: set for each staff member's own chat (BotCommandScopeChat), removed when
their last role is revoked. Applicants keep the default menu and never see a staff command.

Grants carry `menu_synced`; `sync_menus` brings every unsynced person's menu in line. The tick
calls it (so a revocation made by `zhaolu staff revoke` reaches the menu within a tick); the chat
calls `sync_one` right after an invitation is accepted or a role revoked. Only people
who have written to the bot are synced: Telegram refuses a chat it has never seen.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from content.commands import COMMANDS, STAFF_COMMANDS
from content.texts import Texts
from storage.staff import access_of, mark_menu_synced, unsynced_menus
from storage.users import get_user

log = logging.getLogger(__name__)


def commands(texts: Texts, *, staff: bool = False) -> list[BotCommand]:
    pairs = [*COMMANDS, *STAFF_COMMANDS] if staff else list(COMMANDS)
    return [BotCommand(command=name, description=texts(key)) for name, key in pairs]


async def apply_menu(bot: Bot, texts: Texts, telegram_id: int, *, staff: bool) -> bool:
    """Give one person the staff menu, or take it away; False when Telegram refused."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    try:
        if staff:
            await bot.set_my_commands(commands(texts, staff=True), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramAPIError as exc:  # tried again at the next tick
        log.warning("command menu of staff %s not updated: %s", telegram_id, exc)
        return False
    return True


async def sync_one(session: AsyncSession, bot: Bot, texts: Texts, telegram_id: int) -> None:
    """Right after a grant or revocation, in the update's own transaction."""
    if await get_user(session, user_id=telegram_id) is None:
        return  # never wrote to the bot: its chat does not exist for Telegram yet
    access = await access_of(session, telegram_id=telegram_id)
    if await apply_menu(bot, texts, telegram_id, staff=access is not None):
        await mark_menu_synced(session, telegram_id=telegram_id)


async def sync_menus(sessionmaker: async_sessionmaker[AsyncSession], bot: Bot,
                     texts: Texts) -> int:
    """Set or clear the menu of everyone whose grants changed: how many were updated."""
    async with sessionmaker() as session:
        wanted = await unsynced_menus(session)
        people = [(tid, await access_of(session, telegram_id=tid)) for tid in sorted(wanted)
                  if await get_user(session, user_id=tid) is not None]
    done = 0
    for telegram_id, access in people:
        if not await apply_menu(bot, texts, telegram_id, staff=access is not None):
            continue
        async with sessionmaker() as session, session.begin():
            await mark_menu_synced(session, telegram_id=telegram_id)
        done += 1
    return done
