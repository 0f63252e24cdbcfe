"""The audit log: every staff action, who took it, in what role, on what, how many it reached.

Rows are written in the same transaction as the action they describe, so an action that rolls
back leaves no entry and an entry never lacks its action. The text columns hold ids, counts and
choices only, never what an applicant typed or their ID number or phone: the callers pass
``detail`` built from fixed vocabulary (see bot/staff_audit wording in the texts catalogue).
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, or_
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now

CLI_ACTOR = "cli"
SYSTEM_ACTOR = "system"


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime, index=True)
    actor_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    actor: str = Field(default="", max_length=16)  # "" for a person, else cli | system
    role: str = Field(default="", max_length=16)
    action: str = Field(max_length=32)
    campaign_slug: str | None = Field(default=None, max_length=64, index=True)
    base_id: str | None = Field(default=None, max_length=64)
    audience_size: int | None = None
    message_ref: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="", max_length=300)


async def record(session: AsyncSession, *, action: str, now: datetime,
                 actor_id: int | None = None, actor: str = "", role: str = "",
                 campaign_slug: str | None = None, base_id: str | None = None,
                 audience_size: int | None = None, message_ref: str | None = None,
                 detail: str = "") -> AuditEntry:
    entry = AuditEntry(at=now, actor_id=actor_id, actor=actor, role=role, action=action,
                       campaign_slug=campaign_slug, base_id=base_id,
                       audience_size=audience_size, message_ref=message_ref,
                       detail=detail[:300])
    session.add(entry)
    await session.flush()
    return entry


async def latest(session: AsyncSession, *, campaigns: Sequence[str] | None = None,
                 base_id: str | None = None, since: datetime | None = None,
                 limit: int = 20, include_global: bool = False) -> list[AuditEntry]:
    """Newest first. `campaigns` None: every entry; else entries of those campaigns (and, with
    `include_global`, entries tied to no campaign: an admin's view). `base_id` narrows a base
    staff member's view to their base."""
    statement = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    if campaigns is not None:
        in_scope = col(AuditEntry.campaign_slug).in_(list(campaigns))
        statement = statement.where(
            or_(in_scope, col(AuditEntry.campaign_slug).is_(None)) if include_global
            else in_scope)
    if base_id is not None:
        statement = statement.where(AuditEntry.base_id == base_id)
    if since is not None:
        statement = statement.where(col(AuditEntry.at) >= since)
    return list((await session.exec(statement.limit(limit))).all())
