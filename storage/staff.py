"""Staff roles and the one-time invitations that grant them.

A grant gives one Telegram account one role: ``admin`` (every campaign), ``coordinator`` (one
campaign) or ``base_staff`` (one base of one campaign). A person may hold several grants. Grants
are never deleted, only revoked (``revoked_at``), so the audit log can always say who held what.
The column is ``telegram_id``, not ``user_id``: erasing one's applicant data (/delete_my_data
drops every row with a ``user_id``) must not silently end a staff role.

Invitations keep only a SHA-256 of their token: a leaked database does not leak usable links.
Redeeming is one conditional UPDATE, so two people (or a double tap) can never both use a link.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import BigInteger, Boolean
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now

ADMIN, COORDINATOR, BASE_STAFF = "admin", "coordinator", "base_staff"
ROLES = (ADMIN, COORDINATOR, BASE_STAFF)
SOURCES = ("env", "invite", "cli")
INVITE_PREFIX = "staff-"
DEFAULT_INVITE_HOURS = 72


class StaffGrant(SQLModel, table=True):
    __tablename__ = "staff_grants"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=BigInteger, index=True)
    role: str = Field(max_length=16)
    campaign_slug: str | None = Field(default=None, max_length=64, index=True)
    base_id: str | None = Field(default=None, max_length=64)
    source: str = Field(max_length=8)  # env | invite | cli
    granted_by: int | None = Field(default=None, sa_type=BigInteger)
    granted_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    revoked_by: int | None = Field(default=None, sa_type=BigInteger)
    # Whether the person's command menu (set_my_commands per chat) reflects this row's state.
    menu_synced: bool = Field(default=False, sa_type=Boolean)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class StaffInvite(SQLModel, table=True):
    __tablename__ = "staff_invites"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    campaign_slug: str | None = Field(default=None, max_length=64)
    base_id: str | None = Field(default=None, max_length=64)
    created_by: int | None = Field(default=None, sa_type=BigInteger)  # None: the CLI
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    expires_at: datetime = Field(sa_type=AwareDateTime)
    used_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    used_by: int | None = Field(default=None, sa_type=BigInteger)
    grant_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """What one grant covers: every campaign (admin), one campaign, or one base of one."""

    role: str
    campaign_slug: str | None = None
    base_id: str | None = None

    def covers(self, slug: str, base_id: str | None = None) -> bool:
        if self.role == ADMIN:
            return True
        if self.campaign_slug != slug:
            return False
        return self.role == COORDINATOR or (base_id is not None and base_id == self.base_id)


@dataclass(frozen=True)
class Access:
    """A staff member's grants at the moment of one update, read from the database."""

    telegram_id: int
    grants: tuple[StaffGrant, ...]

    @property
    def is_admin(self) -> bool:
        return any(g.role == ADMIN for g in self.grants)

    def scopes(self) -> list[Scope]:
        return [Scope(g.role, g.campaign_slug, g.base_id) for g in self.grants]

    def covers(self, slug: str, base_id: str | None = None) -> bool:
        """May act on `slug` (narrowed to `base_id` when given; None: the whole campaign)."""
        return any(s.covers(slug, base_id) for s in self.scopes())

    def campaigns(self, known: Iterable[str]) -> list[str]:
        """The campaign slugs (of `known`, in its order) this person works on."""
        return [slug for slug in known if self.reaches(slug)]

    def reaches(self, slug: str) -> bool:
        """Any work at all on `slug`: the whole campaign or one of its bases."""
        return self.is_admin or any(g.campaign_slug == slug for g in self.grants)

    def fixed_base(self, slug: str) -> str | None:
        """The one base this person is limited to in `slug`; None when they cover it all."""
        if self.covers(slug):
            return None
        return next((g.base_id for g in self.grants
                     if g.role == BASE_STAFF and g.campaign_slug == slug), None)

    def role_in(self, slug: str) -> str | None:
        """The widest role held for `slug`."""
        if self.is_admin:
            return ADMIN
        roles = {g.role for g in self.grants if g.campaign_slug == slug}
        return next((r for r in ROLES if r in roles), None)

    def may_grant(self, role: str, slug: str | None) -> bool:
        """Admins invite anyone; a coordinator invites base staff of their own campaign."""
        if self.is_admin:
            return True
        return role == BASE_STAFF and slug is not None and self.covers(slug)

    def may_manage(self, grant: StaffGrant) -> bool:
        if self.is_admin:
            return True
        return grant.role == BASE_STAFF and grant.campaign_slug is not None and \
            self.covers(grant.campaign_slug)


async def access_of(session: AsyncSession, *, telegram_id: int) -> Access | None:
    """The person's active grants, or None when they hold none (not staff)."""
    result = await session.exec(select(StaffGrant).where(
        StaffGrant.telegram_id == telegram_id, col(StaffGrant.revoked_at).is_(None),
    ).order_by(col(StaffGrant.id)))
    grants = tuple(result.all())
    return Access(telegram_id, grants) if grants else None


async def grant(session: AsyncSession, *, telegram_id: int, role: str, campaign_slug: str | None,
                base_id: str | None, source: str, granted_by: int | None,
                now: datetime) -> tuple[StaffGrant, bool]:
    """Give the role unless the same active grant exists: (the grant, whether it is new)."""
    if role not in ROLES or source not in SOURCES:
        raise ValueError(f"role {role!r} / source {source!r}")
    found = (await session.exec(select(StaffGrant).where(
        StaffGrant.telegram_id == telegram_id, StaffGrant.role == role,
        StaffGrant.campaign_slug == campaign_slug, StaffGrant.base_id == base_id,
        col(StaffGrant.revoked_at).is_(None),
    ))).first()
    if found is not None:
        return found, False
    row = StaffGrant(telegram_id=telegram_id, role=role, campaign_slug=campaign_slug,
                     base_id=base_id, source=source, granted_by=granted_by, granted_at=now)
    session.add(row)
    await session.flush()
    return row, True


async def revoke(session: AsyncSession, *, grant_id: int, by: int | None,
                 now: datetime) -> StaffGrant | None:
    """Revoke an active grant; None when there is no such active grant."""
    row = await session.get(StaffGrant, grant_id)
    if row is None or not row.active:
        return None
    row.revoked_at, row.revoked_by, row.menu_synced = now, by, False
    session.add(row)
    await session.flush()
    return row


async def get_grant(session: AsyncSession, *, grant_id: int) -> StaffGrant | None:
    return await session.get(StaffGrant, grant_id)


async def list_grants(session: AsyncSession, *, active_only: bool = True,
                      campaign_slug: str | None = None) -> Sequence[StaffGrant]:
    statement = select(StaffGrant).order_by(col(StaffGrant.id))
    if active_only:
        statement = statement.where(col(StaffGrant.revoked_at).is_(None))
    if campaign_slug is not None:
        statement = statement.where(StaffGrant.campaign_slug == campaign_slug)
    return (await session.exec(statement)).all()


async def sync_env_admins(session: AsyncSession, *, admin_ids: Sequence[int],
                          now: datetime) -> tuple[list[StaffGrant], list[StaffGrant]]:
    """Make the env-sourced admins exactly `admin_ids`: (granted now, revoked now)."""
    added = []
    for telegram_id in dict.fromkeys(admin_ids):
        row, new = await grant(session, telegram_id=telegram_id, role=ADMIN, campaign_slug=None,
                               base_id=None, source="env", granted_by=None, now=now)
        if new:
            added.append(row)
    stale = (await session.exec(select(StaffGrant).where(
        StaffGrant.source == "env", col(StaffGrant.revoked_at).is_(None),
        col(StaffGrant.telegram_id).not_in(list(admin_ids) or [0]),
    ))).all()
    removed = []
    for row in stale:
        revoked = await revoke(session, grant_id=row.id or 0, by=None, now=now)
        if revoked is not None:
            removed.append(revoked)
    return added, removed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invite(session: AsyncSession, *, role: str, campaign_slug: str | None,
                        base_id: str | None, created_by: int | None, now: datetime,
                        hours: float = DEFAULT_INVITE_HOURS) -> tuple[StaffInvite, str]:
    """A new invitation and its token (shown once, never stored)."""
    if role not in ROLES:
        raise ValueError(f"role {role!r}")
    token = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]: a valid deep link
    invite = StaffInvite(token_hash=_hash(token), role=role, campaign_slug=campaign_slug,
                         base_id=base_id, created_by=created_by, created_at=now,
                         expires_at=now + timedelta(hours=hours))
    session.add(invite)
    await session.flush()
    return invite, token


Redeemed = Literal["ok", "unknown", "used", "expired"]


async def redeem_invite(session: AsyncSession, *, token: str, telegram_id: int,
                        now: datetime) -> tuple[Redeemed, StaffInvite | None]:
    """Use a token once: the outcome and the invitation (when the token is known)."""
    token_hash = _hash(token)
    claimed = (await session.exec(
        update(StaffInvite)
        .where(col(StaffInvite.token_hash) == token_hash, col(StaffInvite.used_at).is_(None),
               col(StaffInvite.expires_at) > now)
        .values(used_at=now, used_by=telegram_id)
        .returning(col(StaffInvite.id))
    )).first()
    invite = (await session.exec(select(StaffInvite).where(
        StaffInvite.token_hash == token_hash).execution_options(populate_existing=True))).first()
    if invite is None:
        return "unknown", None
    if claimed is None:
        return ("used" if invite.used_at is not None else "expired"), invite
    return "ok", invite


async def unsynced_menus(session: AsyncSession) -> list[int]:
    """People whose command menu may not match their grants."""
    result = await session.exec(select(StaffGrant.telegram_id)
                                .where(col(StaffGrant.menu_synced).is_(False)).distinct())
    return list(result.all())


async def mark_menu_synced(session: AsyncSession, *, telegram_id: int) -> None:
    await session.exec(update(StaffGrant).where(col(StaffGrant.telegram_id) == telegram_id)
                       .values(menu_synced=True))
