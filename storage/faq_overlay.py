"""FAQ entries staff added in the chat (存为问答): an overlay on the campaign YAML's FAQ section.

An entry is a question as staff confirmed it (personal numbers already masked), the phrasings it
is matched by (at first the question alone), and the staff answer. The Q&A ranks active entries
exactly like the YAML's FAQ entries (content/qa_knowledge.py) and cites them as 工作人员答复 with
the entry's date. Entries are never deleted, only removed (``removed_at``): a removed entry stops
answering at once, and `zhaolu faq list --all` still shows who wrote and who removed it.
Saving an entry marks the unanswered questions of the campaign that group with it as answered.
Repositories take the session keyword-first and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, BigInteger, Text, func
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from content.masking import mask_personal_numbers
from content.qa_knowledge import StaffEntry
from storage.types import AwareDateTime, utc_now
from storage.unanswered import forget_faq, mark_answered_by_faq

QUESTION_MAX = 1000
ANSWER_MAX = 3000
LABEL_MAX = 128


class FaqEntry(SQLModel, table=True):
    __tablename__ = "faq_overlay"

    id: int | None = Field(default=None, primary_key=True)
    campaign_slug: str = Field(max_length=64, index=True)
    question: str = Field(sa_type=Text)  # masked, as staff confirmed it
    phrasings: list[str] = Field(default_factory=list, sa_type=JSON)
    answer: str = Field(sa_type=Text)
    author_id: int = Field(sa_type=BigInteger)
    author_label: str = Field(max_length=LABEL_MAX)
    thread_id: int | None = None  # the inbox thread it came from, if any
    created_at: datetime = Field(default_factory=utc_now, sa_type=AwareDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    removed_by: int | None = Field(default=None, sa_type=BigInteger)

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def as_staff_entry(self) -> StaffEntry:
        """What the Q&A needs of it (content knows nothing of storage)."""
        assert self.id is not None
        return StaffEntry(id=self.id, phrasings=tuple(self.phrasings or [self.question]),
                          answer=self.answer, created_at=self.created_at)


async def add_entry(
    session: AsyncSession,
    *,
    campaign_slug: str,
    question: str,
    answer: str,
    author_id: int,
    author_label: str,
    now: datetime,
    thread_id: int | None = None,
) -> FaqEntry:
    """Save an entry; the campaign's unanswered questions that group with it become answered."""
    question = " ".join(mask_personal_numbers(question).split())[:QUESTION_MAX]
    entry = FaqEntry(
        campaign_slug=campaign_slug, question=question, phrasings=[question],
        answer=answer.strip()[:ANSWER_MAX], author_id=author_id,
        author_label=author_label[:LABEL_MAX], thread_id=thread_id, created_at=now,
    )
    session.add(entry)
    await session.flush()
    assert entry.id is not None
    await mark_answered_by_faq(session, campaign_slug=campaign_slug, question=question,
                               faq_id=entry.id, by=author_id, now=now)
    return entry


async def active_entries(session: AsyncSession, *, campaign_slug: str) -> list[FaqEntry]:
    statement = (
        select(FaqEntry)
        .where(col(FaqEntry.campaign_slug) == campaign_slug, col(FaqEntry.removed_at).is_(None))
        .order_by(col(FaqEntry.id))
    )
    return list((await session.exec(statement)).all())


# Per database engine (a worker process has one; each test its own) and campaign: the version
# the entries were read at, and the entries.
_READ: WeakKeyDictionary[Any, dict[str, tuple[tuple[int, ...], tuple[StaffEntry, ...]]]] = \
    WeakKeyDictionary()


async def staff_entries(session: AsyncSession, *, campaign_slug: str) -> tuple[StaffEntry, ...]:
    """The campaign's active entries as the Q&A takes them (`content.qa.answer(staff=...)`).

    Asked before every answer, by every worker. Rows are only ever added or marked removed, so
    (rows, removed rows, sum of ids) changes with every change: that one aggregate is read per
    question, the entries only when it changed (0.5 ms instead of 3 ms with 200 entries,
    README). An entry edited in place by hand in SQL is seen after a restart."""
    statement = select(func.count(col(FaqEntry.id)), func.count(col(FaqEntry.removed_at)),
                       func.coalesce(func.sum(col(FaqEntry.id)), 0)).where(
        col(FaqEntry.campaign_slug) == campaign_slug)
    version = tuple(int(v or 0) for v in (await session.exec(statement)).one())
    engine = getattr(session.bind, "sync_engine", session.bind)
    read = _READ.setdefault(engine, {}) if engine is not None else {}
    known = read.get(campaign_slug)
    if known is not None and known[0] == version:
        return known[1]
    entries = tuple(e.as_staff_entry() for e in await active_entries(
        session, campaign_slug=campaign_slug))
    read[campaign_slug] = (version, entries)
    return entries


async def get_entry(session: AsyncSession, *, entry_id: int) -> FaqEntry | None:
    return await session.get(FaqEntry, entry_id)


async def remove_entry(
    session: AsyncSession, *, entry_id: int, by: int, now: datetime
) -> FaqEntry | None:
    """Mark the entry removed; None when it does not exist or was removed already (a double tap:
    one conditional UPDATE, so only the first press removes it)."""
    statement = (
        update(FaqEntry)
        .where(col(FaqEntry.id) == entry_id, col(FaqEntry.removed_at).is_(None))
        .values(removed_at=now, removed_by=by)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    if result.rowcount != 1:
        return None
    await forget_faq(session, faq_id=entry_id)
    entry = await session.get(FaqEntry, entry_id)
    if entry is not None:
        await session.refresh(entry)
    return entry


async def list_entries(
    session: AsyncSession, *, campaign_slugs: list[str] | None, include_removed: bool = False
) -> list[FaqEntry]:
    """Newest first; `campaign_slugs` None means every campaign."""
    statement = select(FaqEntry)
    if campaign_slugs is not None:
        statement = statement.where(col(FaqEntry.campaign_slug).in_(campaign_slugs))
    if not include_removed:
        statement = statement.where(col(FaqEntry.removed_at).is_(None))
    statement = statement.order_by(col(FaqEntry.created_at).desc(), col(FaqEntry.id).desc())
    return list((await session.exec(statement)).all())


async def load_staff_entries(url: str, campaign_slug: str) -> tuple[StaffEntry, ...]:
    """For `zhaolu ask --db`: the overlay of one campaign, from a database URL."""
    from storage.engine import create_engine, make_sessionmaker, prepare_database

    engine = create_engine(url)
    try:
        await prepare_database(engine)
        async with make_sessionmaker(engine)() as session:
            return await staff_entries(session, campaign_slug=campaign_slug)
    finally:
        await engine.dispose()
