"""Questions the Q&A could not answer from the notice, kept so coordinators can improve the content.

One row per question asked. `list_unanswered` groups them: first by their normalised form (so
请问报名截止是哪天？ and 报名截止是哪天 are one), then similar forms together (报名要带什么材料 and
请问报名材料有哪些) by content/similarity.py's measure, most asked first. A row is answered when
staff replied to it (``answered_at``, set by the inbox through `mark_answered`) or when an FAQ
entry staff saved covers it (``faq_id``, set by storage/faq_overlay.py). The user id is kept
(nullable: `zhaolu ask` has no user) so a coordinator can follow up; the text is what the user
typed, ID and mobile numbers masked here, whoever calls (content/masking.py), and NUL characters
dropped (PostgreSQL's text cannot hold them). Repositories take the session keyword-first and
never commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import BigInteger, Float, Text, func
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from content.masking import mask_personal_numbers
from content.normalise import normalise
from content.similarity import Form, cluster, matching
from storage.types import AwareDateTime, utc_now

QUESTION_MAX = 1000
# Indexed: PostgreSQL's btree takes at most ~2700 bytes a key, Chinese is 3 bytes a character.
NORMALISED_MAX = 400
# Grouping reads at most this many distinct forms (the most asked, then the latest): about
# 0.3 s of clustering; forms beyond it were asked once and long ago.
FORMS_MAX = 2000


class UnansweredQuestion(SQLModel, table=True):
    __tablename__ = "unanswered_questions"

    id: int | None = Field(default=None, primary_key=True)
    campaign_slug: str = Field(max_length=64, index=True)
    question: str = Field(sa_type=Text)
    normalised: str = Field(max_length=NORMALISED_MAX, index=True)
    best_score: float = Field(default=0.0, sa_type=Float)
    user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    asked_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime, index=True)
    answered_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    answered_by: int | None = Field(default=None, sa_type=BigInteger)
    faq_id: int | None = Field(default=None, index=True)  # faq_overlay.id that answers it


@dataclass(frozen=True)
class UnansweredGroup:
    """Similar questions as coordinators see them: how often, when last, the latest wording, and
    whether they were answered (a staff reply to `replied` of them; an FAQ entry: `faq_id`)."""

    campaign_slug: str
    normalised: str  # of the group's latest asked form
    count: int
    last_asked: datetime
    question: str
    best_score: float
    forms: int = 1
    replied: int = 0
    faq_id: int | None = None

    @property
    def answered(self) -> bool:
        return self.faq_id is not None or self.replied > 0


def normalised_form(question: str) -> str:
    """The stored form: normalised, readable (no atomic terms), without spaces."""
    return normalise(question, atomic=False).replace(" ", "")[:NORMALISED_MAX]


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
    question = mask_personal_numbers(question.replace("\x00", ""))
    normalised = mask_personal_numbers((normalised or question).replace("\x00", ""))
    row = UnansweredQuestion(
        campaign_slug=campaign_slug,
        question=question[:QUESTION_MAX],
        normalised=normalised[:NORMALISED_MAX],
        best_score=best_score,
        user_id=user_id,
        asked_at=asked_at,
    )
    session.add(row)
    await session.flush()
    return row


async def mark_answered(
    session: AsyncSession, *, question_ids: Sequence[int], by: int, now: datetime
) -> int:
    """Staff replied to these questions (the first reply counts); how many rows changed."""
    if not question_ids:
        return 0
    statement = (
        update(UnansweredQuestion)
        .where(col(UnansweredQuestion.id).in_(list(question_ids)),
               col(UnansweredQuestion.answered_at).is_(None))
        .values(answered_at=now, answered_by=by)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount or 0)


async def mark_answered_by_faq(
    session: AsyncSession, *, campaign_slug: str, question: str, faq_id: int, by: int,
    now: datetime,
) -> int:
    """The campaign's questions not yet covered by an FAQ entry that group with `question` now
    are covered by entry `faq_id`; how many rows changed. (`by` and `now` are the entry's.)"""
    statement = (
        select(col(UnansweredQuestion.normalised))
        .where(col(UnansweredQuestion.campaign_slug) == campaign_slug,
               col(UnansweredQuestion.faq_id).is_(None))
        .distinct()
    )
    forms = list((await session.exec(statement)).all())
    hits = matching(normalised_form(question), forms)
    if not hits:
        return 0
    result = await session.exec(  # type: ignore[call-overload]
        update(UnansweredQuestion)
        .where(col(UnansweredQuestion.campaign_slug) == campaign_slug,
               col(UnansweredQuestion.normalised).in_(hits),
               col(UnansweredQuestion.faq_id).is_(None))
        .values(faq_id=faq_id)
    )
    return int(result.rowcount or 0)


async def forget_faq(session: AsyncSession, *, faq_id: int) -> int:
    """The entry was removed: the questions it covered are open again (unless staff replied)."""
    result = await session.exec(  # type: ignore[call-overload]
        update(UnansweredQuestion)
        .where(col(UnansweredQuestion.faq_id) == faq_id)
        .values(faq_id=None)
    )
    return int(result.rowcount or 0)


async def list_unanswered(
    session: AsyncSession, *, campaign: str | None = None, limit: int = 50,
    campaigns: Sequence[str] | None = None,
) -> list[UnansweredGroup]:
    """Similar questions grouped per campaign, most asked first, then most recent.

    `campaign` narrows to one campaign, `campaigns` to a set (a viewer's scope)."""
    forms = await _forms(session, campaign, campaigns)
    # Pure computation, 0.3 s for FORMS_MAX forms: off the event loop, other updates go on.
    groups = (await asyncio.to_thread(_grouped, forms))[:limit]
    wordings = await _latest_wordings(session, [(g.campaign_slug, g.normalised) for g in groups])
    return [replace(g, question=wordings.get((g.campaign_slug, g.normalised), g.question))
            for g in groups]


def _grouped(forms: list[_FormRow]) -> list[UnansweredGroup]:
    by_campaign: dict[str, list[tuple[Form, _FormRow]]] = {}
    for row in forms:
        by_campaign.setdefault(row.slug, []).append((Form(row.normalised, row.count), row))
    groups: list[UnansweredGroup] = []
    for slug, items in by_campaign.items():
        rows = {form.text: row for form, row in items}
        for members in cluster([form for form, _row in items]):
            groups.append(_summary(slug, [rows[m.text] for m in members]))
    groups.sort(key=lambda g: (-g.count, -g.last_asked.timestamp(), g.normalised))
    return groups


@dataclass(frozen=True)
class _FormRow:
    slug: str
    normalised: str
    count: int
    last: datetime
    best: float
    replied: int
    faq_id: int | None


async def _forms(session: AsyncSession, campaign: str | None,
                 campaigns: Sequence[str] | None) -> list[_FormRow]:
    q = UnansweredQuestion
    count = func.count(col(q.id)).label("count")
    last = func.max(col(q.asked_at)).label("last")
    statement = select(
        col(q.campaign_slug), col(q.normalised), count, last, func.max(col(q.best_score)),
        func.count(col(q.answered_at)), func.max(col(q.faq_id)),
    ).group_by(col(q.campaign_slug), col(q.normalised))
    if campaign:
        statement = statement.where(col(q.campaign_slug) == campaign)
    if campaigns is not None:
        statement = statement.where(col(q.campaign_slug).in_(list(campaigns)))
    statement = statement.order_by(count.desc(), last.desc()).limit(FORMS_MAX)
    return [
        _FormRow(slug, norm, n, when, float(best or 0.0), int(replied or 0), faq)
        for slug, norm, n, when, best, replied, faq in (await session.exec(statement)).all()
    ]


def _summary(slug: str, rows: list[_FormRow]) -> UnansweredGroup:
    """A cluster of forms; the latest asked gives the wording shown."""
    latest = max(rows, key=lambda r: r.last)
    faq_ids = [r.faq_id for r in rows if r.faq_id is not None]
    return UnansweredGroup(
        campaign_slug=slug, normalised=latest.normalised, count=sum(r.count for r in rows),
        last_asked=latest.last, question=latest.normalised,
        best_score=max(r.best for r in rows), forms=len(rows),
        replied=sum(r.replied for r in rows), faq_id=max(faq_ids) if faq_ids else None,
    )


async def _latest_wordings(
    session: AsyncSession, groups: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The most recent original wording of each group's latest form (one query for all)."""
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
