"""Who wants reminders of which campaign, and the audiences reminders are sent to.

One row per (user, campaign): subscribing again clears ``unsubscribed_at``; unsubscribing keeps the
row, so an explicit "no" is remembered and never overridden by ``ensure_subscribed``.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, UniqueConstraint, exists
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.models import User
from storage.registrations import (
    ACTIVE_STATUSES,
    ADMITTED,
    IN_PROCESS_STATUSES,
    NOT_ADMITTED,
    OFFICIALLY_REGISTERED,
    PRE_REGISTERED,
    REPORTED,
    REVIEW_PASSED,
    Registration,
)
from storage.types import AwareDateTime, utc_now

# Audience name -> the registration statuses it takes (None: everyone; (): nobody registered).
# 资格审核不通过 and 放弃 are in no status audience: nothing further is sent to them (they are not
# "not pre-registered" either: ACTIVE_STATUSES below).
AUDIENCE_STATUSES: dict[str, tuple[str, ...] | None] = {
    "all_subscribers": None,
    "subscribers_not_preregistered": (),
    "preregistered": IN_PROCESS_STATUSES,
    "not_officially_registered": (PRE_REGISTERED,),
    "officially_registered": (OFFICIALLY_REGISTERED, REVIEW_PASSED),
    "admitted": (ADMITTED,),
    "not_admitted": (NOT_ADMITTED,),
    "reported": (REPORTED,),
}


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "campaign_slug", name="uq_subscriptions_user"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    campaign_slug: str = Field(max_length=64, index=True)
    subscribed_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    unsubscribed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)

    @property
    def active(self) -> bool:
        return self.unsubscribed_at is None


async def _set(session: AsyncSession, *, user_id: int, slug: str, now: datetime,
               on: bool, overwrite: bool) -> None:
    insert = upsert_insert(session.bind.dialect.name)
    values = {"subscribed_at": now, "unsubscribed_at": None} if on else {"unsubscribed_at": now}
    statement = insert(Subscription).values(
        user_id=user_id, campaign_slug=slug, subscribed_at=now,
        unsubscribed_at=None if on else now)
    if overwrite:
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "campaign_slug"], set_=values)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["user_id", "campaign_slug"])
    await session.exec(statement)


async def subscribe(session: AsyncSession, *, user_id: int, slug: str, now: datetime) -> None:
    await _set(session, user_id=user_id, slug=slug, now=now, on=True, overwrite=True)


async def unsubscribe(session: AsyncSession, *, user_id: int, slug: str, now: datetime) -> None:
    await _set(session, user_id=user_id, slug=slug, now=now, on=False, overwrite=True)


async def ensure_subscribed(session: AsyncSession, *, user_id: int, slug: str,
                            now: datetime) -> None:
    """Subscribe unless the user already decided (e.g. after a pre-registration is confirmed)."""
    await _set(session, user_id=user_id, slug=slug, now=now, on=True, overwrite=False)


async def get_subscription(session: AsyncSession, *, user_id: int,
                           slug: str) -> Subscription | None:
    result = await session.exec(select(Subscription).where(
        Subscription.user_id == user_id, Subscription.campaign_slug == slug))
    return result.first()


async def is_subscribed(session: AsyncSession, *, user_id: int, slug: str) -> bool:
    found = await get_subscription(session, user_id=user_id, slug=slug)
    return found is not None and found.active


async def audience_user_ids(session: AsyncSession, *, slug: str,
                            audiences: Sequence[str]) -> list[int]:
    """Active subscribers of `slug` who have not blocked the bot and are in any of `audiences`."""
    statuses: set[str] = set()
    everyone = not_registered = False
    for name in audiences:
        wanted = AUDIENCE_STATUSES[name]
        if wanted is None:
            everyone = True
        elif not wanted:
            not_registered = True
        statuses.update(wanted or ())
    statement = (
        select(Subscription.user_id)
        .join(User, col(User.id) == col(Subscription.user_id))
        .where(Subscription.campaign_slug == slug, col(Subscription.unsubscribed_at).is_(None),
               col(User.blocked_at).is_(None))
        .order_by(col(Subscription.user_id))
    )
    if not everyone:
        conditions = []
        if not_registered:
            conditions.append(~_has_registration(ACTIVE_STATUSES, slug))
        if statuses:
            conditions.append(_has_registration(tuple(statuses), slug))
        statement = statement.where(conditions[0] if len(conditions) == 1 else
                                    conditions[0] | conditions[1])
    result = await session.exec(statement)
    return list(result.all())


def _has_registration(statuses: tuple[str, ...], slug: str):  # noqa: ANN202 (a SQL expression)
    return exists().where(
        col(Registration.user_id) == col(Subscription.user_id),
        col(Registration.campaign_slug) == slug,
        col(Registration.status).in_(statuses),
    )


async def user_audiences(session: AsyncSession, *, user_id: int, slug: str) -> set[str]:
    """The audiences the user belongs to in `slug`, by their registrations (subscription aside)."""
    result = await session.exec(select(Registration.status).where(
        Registration.user_id == user_id, Registration.campaign_slug == slug))
    held = set(result.all()) & set(ACTIVE_STATUSES)
    found = {"all_subscribers"}
    if not held:
        found.add("subscribers_not_preregistered")
    for name, statuses in AUDIENCE_STATUSES.items():
        if statuses and held & set(statuses):
            found.add(name)
    return found
