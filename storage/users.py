"""Queries on users. Like every repository: session first, keywords only, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import Enum

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.models import User

# last_seen is for retention (silent for 30 days) and /mydata: minutes do not matter, and not
# writing it on every update lets most updates take no write lock at all (SQLite has one).
LAST_SEEN_EVERY = timedelta(minutes=5)


class Unread(Enum):
    """touch_user's `found` when the row has not been read yet."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD


async def touch_user(
    session: AsyncSession,
    *,
    user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    now: datetime,
    found: User | None | Unread = UNREAD,
) -> User:
    """Create or refresh a user from Telegram's view of them; a read only, when nothing changed.

    Written when the user is new, their names changed, they had blocked the bot (writing again
    means they no longer do: blocked_at is cleared), or last_seen is LAST_SEEN_EVERY old.
    `found`: the user's row as read already in this transaction (None: there is none), read
    here when not given.
    """
    fresh = {"first_name": first_name, "last_name": last_name, "username": username}
    # Another object for this id may already sit in the session: refresh it.
    user = (await session.get(User, user_id, populate_existing=True)
            if isinstance(found, Unread) else found)
    if user is not None and _up_to_date(user, fresh, now):
        return user
    insert = upsert_insert(session.bind.dialect.name)
    statement = (
        insert(User)
        .values(id=user_id, first_seen=now, last_seen=now, blocked_at=None, **fresh)
        .on_conflict_do_update(
            index_elements=[User.id], set_={**fresh, "last_seen": now, "blocked_at": None}
        )
        .returning(User)
        .execution_options(populate_existing=True)
    )
    result = await session.exec(statement)
    return result.scalar_one()


def _up_to_date(user: User, fresh: dict[str, str | None], now: datetime) -> bool:
    """Nothing to write: same names, not blocked, seen recently (a clock set back counts as
    not recent: the shell's and the tests' clocks move both ways)."""
    recent = timedelta(0) <= now - user.last_seen < LAST_SEEN_EVERY
    return recent and user.blocked_at is None and all(
        getattr(user, name) == value for name, value in fresh.items())


async def get_user(session: AsyncSession, *, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def set_campaign(session: AsyncSession, *, user_id: int, slug: str | None) -> User | None:
    """Remember the user's chosen campaign; None when the user is unknown."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    if user.campaign_slug != slug:  # choosing the same again writes nothing (issue 15: a flush
        user.campaign_slug = slug  # with nothing to write still cost ~0.3 ms)
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
