"""Staff groups: a forum supergroup bound to a campaign with /bind, where the staff inbox puts one
topic per applicant's conversation (storage/inbox.py). One group per campaign; binding another
moves it. Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now


class StaffGroup(SQLModel, table=True):
    """A forum supergroup bound to one campaign with /bind (one group per campaign)."""

    __tablename__ = "staff_groups"

    id: int | None = Field(default=None, primary_key=True)
    campaign_slug: str = Field(max_length=64, unique=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    bound_by: int = Field(sa_type=BigInteger)
    bound_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    # When creating a topic last failed (admins were told then, once); None once one works.
    failed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)



async def group_of(session: AsyncSession, *, campaign_slug: str) -> StaffGroup | None:
    statement = select(StaffGroup).where(StaffGroup.campaign_slug == campaign_slug)
    return (await session.exec(statement)).first()


async def bind_group(session: AsyncSession, *, campaign_slug: str, chat_id: int, by: int,
                     now: datetime) -> int | None:
    """Bind `chat_id` to the campaign (moving it from another group): the previous chat id."""
    found = await group_of(session, campaign_slug=campaign_slug)
    previous = found.chat_id if found is not None else None
    row = found or StaffGroup(campaign_slug=campaign_slug, chat_id=chat_id, bound_by=by)
    row.chat_id, row.bound_by, row.bound_at, row.failed_at = chat_id, by, now, None
    session.add(row)
    await session.flush()
    return previous if previous != chat_id else None


async def unbind_group(session: AsyncSession, *, chat_id: int) -> list[str]:
    """Unbind every campaign bound to `chat_id`: their slugs."""
    rows = (await session.exec(select(StaffGroup).where(StaffGroup.chat_id == chat_id))).all()
    for row in rows:
        await session.delete(row)
    await session.flush()
    return [row.campaign_slug for row in rows]


async def mark_group_failed(session: AsyncSession, *, group: StaffGroup,
                            now: datetime | None) -> bool:
    """Record (now) or clear (None) a topic failure: True when this is news (tell the admins)."""
    news = now is not None and group.failed_at is None
    if (group.failed_at is None) != (now is None):
        group.failed_at = now
        session.add(group)
        await session.flush()
    return news
