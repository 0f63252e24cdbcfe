"""Outer middleware: one database session per update, the user, and the user's campaign."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser

from storage.fsm import bind_session
from storage.models import User
from storage.users import UNREAD, Unread, set_campaign, touch_user


class DatabaseMiddleware(BaseMiddleware):
    """Opens the update's session, records the user, commits after the handler.

    This is the one place that commits for handlers (see STYLE.md), with one helper: the session
    is also committed before each Bot API request the handler makes (bot/update_session.py), so
    no transaction spans a Telegram round trip. A handler that raises before its first request
    leaves nothing written; one that raises after it keeps what it wrote before that request.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sessionmaker = data["sessionmaker"]
        clock = data["clock"]
        catalogue = data["catalogue"]
        async with sessionmaker() as session:
            from_user: TelegramUser | None = data.get("event_from_user")
            if from_user is not None and from_user.is_bot:
                from_user = None
            # The inbox's row (bot/update_inbox.py) is marked handled first, in the transaction
            # that commits before the first reply: a crash before that replays the update.
            entry = data.get("inbox_entry")
            found: User | None | Unread = UNREAD
            if entry is not None:
                # The user's row comes back with the mark (one round trip: issue 15).
                marked, found = await entry.claim(
                    session, clock.now(), user_id=from_user.id if from_user else None)
                if not marked:
                    return None  # another worker handled it already
            data["session"] = session
            user = None
            if from_user is not None:
                user = await touch_user(
                    session,
                    user_id=from_user.id,
                    first_name=from_user.first_name,
                    last_name=from_user.last_name,
                    username=from_user.username,
                    now=clock.now(),
                    found=found,
                )
            data["user"] = user
            slug = user.campaign_slug if user is not None else None
            only = catalogue.all()
            if user is not None and slug is None and len(only) == 1:
                # One campaign served (a county's own bot): it is everyone's, no chooser first.
                slug = user.campaign_slug = only[0].slug
                await set_campaign(session, user_id=user.id, slug=slug)
            data["campaign"] = catalogue.get(slug) if slug else None
            # FSM writes join this transaction: on SQLite a second connection would wait for
            # this one's write lock, and state and data should commit or roll back together.
            # The binding is also how the session is committed before each Bot API request.
            with bind_session(session):
                result = await handler(event, data)
            await session.commit()
            if entry is not None:
                entry.committed = True
            return result
