"""Questions the Q&A could not answer from the notice, kept so coordinators can improve the content.

One row per question asked; `list_unanswered` groups them by their normalised form (so 请问报名
截止是哪天？ and 报名截止是哪天 count as one), most frequent first. The user id is kept (nullable:
`zhaolu ask` has no user) so a coordinator can follow up; the text itself is what the user typed.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Float, Text, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import AwareDateTime, utc_now

QUESTION_MAX = 1000
# Indexed: PostgreSQL's btree takes at most ~2700 bytes a key, Chinese is 3 bytes a character.
NORMALISED_MAX = 400


class UnansweredQuestion(SQLModel, table=True):
    __tablename__ = "unanswered_questions"

    id: int | None = Field(default=None, primary_key=True)
    campaign_slug: str = Field(max_length=64, index=True)
    question: str = Field(sa_type=Text)
    normalised: str = Field(max_length=NORMALISED_MAX, index=True)
    best_score: float = Field(default=0.0, sa_type=Float)
    user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    asked_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime, index=True)


@dataclass(frozen=True)
class UnansweredGroup:
    """One question as coordinators see it: how often, when last, and the latest wording."""

    campaign_slug: str
    normalised: str
    count: int
    last_asked: datetime
    question: str
    best_score: float


async def record_unanswered(
    session: AsyncSession,
    *,
    campaign_slug: str,
    question: str,
    normalised: str,
    best_score: float,
    asked_at: datetime,
    user_id: int | None = None,
) -> UnansweredQuestion:
    row = UnansweredQuestion(
        campaign_slug=campaign_slug,
        question=question[:QUESTION_MAX],
        normalised=(normalised or question)[:NORMALISED_MAX],
        best_score=best_score,
        user_id=user_id,
        asked_at=asked_at,
    )
    session.add(row)
    await session.flush()
    return row


async def list_unanswered(
    session: AsyncSession, *, campaign: str | None = None, limit: int = 50
) -> list[UnansweredGroup]:
    """Grouped by campaign and normalised question, most frequent first, then most recent."""
    count = func.count(col(UnansweredQuestion.id)).label("count")
    last = func.max(col(UnansweredQuestion.asked_at)).label("last")
    best = func.max(col(UnansweredQuestion.best_score)).label("best")
    statement = select(
        col(UnansweredQuestion.campaign_slug), col(UnansweredQuestion.normalised), count, last, best
    ).group_by(col(UnansweredQuestion.campaign_slug), col(UnansweredQuestion.normalised))
    if campaign:
        statement = statement.where(col(UnansweredQuestion.campaign_slug) == campaign)
    statement = statement.order_by(count.desc(), last.desc()).limit(limit)
    rows = (await session.exec(statement)).all()
    wordings = await _latest_wordings(session, [(r[0], r[1]) for r in rows])
    return [
        UnansweredGroup(
            campaign_slug=slug, normalised=norm, count=n, last_asked=when,
            question=wordings.get((slug, norm), norm), best_score=float(score or 0.0),
        )
        for slug, norm, n, when, score in rows
    ]


async def _latest_wordings(
    session: AsyncSession, groups: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The most recent original wording of each group (one query for all groups)."""
    if not groups:
        return {}
    norms = sorted({norm for _slug, norm in groups})
    statement = (
        select(UnansweredQuestion)
        .where(col(UnansweredQuestion.normalised).in_(norms))
        .order_by(col(UnansweredQuestion.asked_at), col(UnansweredQuestion.id))
    )
    latest: dict[tuple[str, str], str] = {}
    for row in (await session.exec(statement)).all():
        latest[(row.campaign_slug, row.normalised)] = row.question
    return latest


async def record_many(url: str, campaign_slug: str,
                      items: Sequence[tuple[str, str, float, datetime]]) -> None:
    """For `zhaolu ask --db`: record (question, normalised, score, asked_at) rows and commit."""
    from storage.engine import create_engine, make_sessionmaker, prepare_database

    engine = create_engine(url)
    try:
        await prepare_database(engine)
        async with make_sessionmaker(engine)() as session:
            for question, normalised, score, asked_at in items:
                await record_unanswered(session, campaign_slug=campaign_slug, question=question,
                                        normalised=normalised, best_score=score,
                                        asked_at=asked_at)
            await session.commit()
    finally:
        await engine.dispose()
