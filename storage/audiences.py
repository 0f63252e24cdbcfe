"""Who an announcement can reach: a campaign's roster, filtered by base and registration status.

The roster is read once (three small queries) and counted in Python, so the audience builder can
show a live head count on every button without a query per button. Everyone in it has chosen
the campaign, subscribed to its reminders or pre-registered for it. People who blocked the bot
and people who opted out of the campaign's announcements are counted apart and never sent to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.announcements import AnnouncementOptOut
from storage.models import User
from storage.registrations import (
    ACTIVE_STATUSES,
    ADMITTED,
    IN_PROCESS_STATUSES,
    PRE_REGISTERED,
    REPORTED,
    Registration,
)
from storage.subscriptions import Subscription

# Audience id -> the registration statuses it takes; None: no registration needed.
AUDIENCES: dict[str, tuple[str, ...] | None] = {
    "everyone": None,  # chose the campaign, subscribed or pre-registered
    "subscribers": None,  # reminder subscribers
    "preregistered": IN_PROCESS_STATUSES,  # not 资格审核不通过 / 放弃: out of the running
    "not_official": (PRE_REGISTERED,),  # pre-registered, not marked 已官网报名
    "admitted": (ADMITTED, REPORTED),
    "admitted_not_reported": (ADMITTED,),
}


@dataclass
class Member:
    user_id: int
    blocked: bool = False
    opted_out: bool = False
    subscribed: bool = False
    statuses: set[str] = field(default_factory=set)  # of active registrations
    bases: set[str] = field(default_factory=set)  # base choices of active registrations


@dataclass(frozen=True)
class Count:
    reach: int  # will be sent to
    blocked: int  # in the audience, blocked the bot
    opted_out: int  # in the audience, turned announcements off


async def roster(session: AsyncSession, *, slug: str) -> dict[int, Member]:
    members: dict[int, Member] = {}

    def member(user_id: int) -> Member:
        return members.setdefault(user_id, Member(user_id))

    chose = await session.exec(select(User.id).where(User.campaign_slug == slug))
    for user_id in chose.all():
        member(user_id)
    subscribed = await session.exec(select(Subscription.user_id).where(
        Subscription.campaign_slug == slug, col(Subscription.unsubscribed_at).is_(None)))
    for user_id in subscribed.all():
        member(user_id).subscribed = True
    registered = await session.exec(select(Registration.user_id, Registration.status,
                                           Registration.base_choices).where(
        Registration.campaign_slug == slug, col(Registration.status).in_(ACTIVE_STATUSES)))
    for user_id, status, bases in registered.all():
        found = member(user_id)
        found.statuses.add(status)
        found.bases.update(bases or ())
    if not members:
        return members
    ids = list(members)
    blocked = await session.exec(select(User.id).where(
        col(User.id).in_(ids), col(User.blocked_at).is_not(None)))
    for user_id in blocked.all():
        members[user_id].blocked = True
    opted = await session.exec(select(AnnouncementOptOut.user_id).where(
        AnnouncementOptOut.campaign_slug == slug))
    for user_id in opted.all():
        if user_id in members:
            members[user_id].opted_out = True
    return members


def matches(member: Member, audience: str, base_id: str | None) -> bool:
    if base_id is not None and base_id not in member.bases:
        return False
    if audience == "subscribers":
        return member.subscribed
    statuses = AUDIENCES[audience]
    return statuses is None or bool(member.statuses & set(statuses))


def select_ids(members: dict[int, Member], audience: str, base_id: str | None) -> list[int]:
    """The recipients: in the audience, not blocked, not opted out; ascending ids."""
    return sorted(m.user_id for m in members.values()
                  if matches(m, audience, base_id) and not m.blocked and not m.opted_out)


def count(members: dict[int, Member], audience: str, base_id: str | None) -> Count:
    reach = blocked = opted = 0
    for m in members.values():
        if not matches(m, audience, base_id):
            continue
        if m.blocked:
            blocked += 1
        elif m.opted_out:
            opted += 1
        else:
            reach += 1
    return Count(reach, blocked, opted)
