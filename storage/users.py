"""Queries on users. Like every repository: session first, keywords only, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.models import User


async def touch_user(
    session: AsyncSession,
    *,
    user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    now: datetime,
) -> User:
    """Create or refresh a user from Telegram's view of them, in one round trip.

    Writing again means they have not (or no longer) blocked the bot, so blocked_at is cleared.
    """
    insert = upsert_insert(session.bind.dialect.name)
    fresh = {"first_name": first_name, "last_name": last_name, "username": username}
    statement = (
        insert(User)
        .values(id=user_id, first_seen=now, last_seen=now, blocked_at=None, **fresh)
        .on_conflict_do_update(
            index_elements=[User.id], set_={**fresh, "last_seen": now, "blocked_at": None}
        )
        .returning(User)
        # Another object for this id may already sit in the session: refresh it.
        .execution_options(populate_existing=True)
    )
    result = await session.exec(statement)
    return result.scalar_one()


async def get_user(session: AsyncSession, *, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def set_campaign(session: AsyncSession, *, user_id: int, slug: str | None) -> User | None:
    """Remember the user's chosen campaign; None when the user is unknown."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    user.campaign_slug = slug
    session.add(user)
    await session.flush()
    return user


async def mark_blocked(session: AsyncSession, *, user_id: int, now: datetime) -> None:
    """Telegram said 403: stop sending to this user until they write again."""
    await session.exec(
        update(User).where(col(User.id) == user_id).values(blocked_at=now)
    )


async def reachable_user_ids(
    session: AsyncSession, *, campaign_slug: str | None = None
) -> Sequence[int]:
    """Users who have not blocked the bot, optionally only those following one campaign."""
    statement = select(User.id).where(col(User.blocked_at).is_(None)).order_by(col(User.id))
    if campaign_slug is not None:
        statement = statement.where(User.campaign_slug == campaign_slug)
    result = await session.exec(statement)
    return result.all()
