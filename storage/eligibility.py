"""The latest eligibility self-check of each user per campaign, kept for the pre-registration form.

The profile holds the answers only (education, major, birth date …): an ID number typed to derive
the birth date is never part of it. Repositories take the session keyword-first, never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import upsert_insert
from storage.types import AwareDateTime, utc_now


class EligibilityCheck(SQLModel, table=True):
    __tablename__ = "eligibility_checks"

    user_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    campaign_slug: str = Field(primary_key=True, max_length=64)
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # Profile.answers()
    verdict: str = Field(max_length=16)  # eligible | conditional | ineligible
    rules: list[str] = Field(default_factory=list, sa_type=JSON)  # ids of the rules that fired
    checked_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)


async def save_check(
    session: AsyncSession,
    *,
    user_id: int,
    campaign_slug: str,
    profile: dict[str, Any],
    verdict: str,
    rules: list[str],
    now: datetime,
) -> EligibilityCheck:
    """Keep this check as the user's latest for the campaign (one upsert)."""
    insert = upsert_insert(session.bind.dialect.name)
    values = {"profile": profile, "verdict": verdict, "rules": rules, "checked_at": now}
    statement = (
        insert(EligibilityCheck)
        .values(user_id=user_id, campaign_slug=campaign_slug, **values)
        .on_conflict_do_update(
            index_elements=[EligibilityCheck.user_id, EligibilityCheck.campaign_slug],
            set_=values,
        )
        .returning(EligibilityCheck)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).scalar_one()


async def latest_check(
    session: AsyncSession, *, user_id: int, campaign_slug: str
) -> EligibilityCheck | None:
    return await session.get(EligibilityCheck, (user_id, campaign_slug))


async def checks_of_user(session: AsyncSession, *, user_id: int) -> list[EligibilityCheck]:
    """Every campaign's latest check of one user (for /mydata)."""
    statement = (select(EligibilityCheck).where(col(EligibilityCheck.user_id) == user_id)
                 .order_by(col(EligibilityCheck.campaign_slug)))
    return list((await session.exec(statement)).all())


async def delete_checks(session: AsyncSession, *, user_id: int) -> int:
    """Erase a user's checks (for /delete_my_data); how many rows went."""
    result = await session.exec(delete(EligibilityCheck).where(
        col(EligibilityCheck.user_id) == user_id))
    return result.rowcount or 0
