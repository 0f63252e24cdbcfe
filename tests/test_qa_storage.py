"""The unanswered-question log (storage/unanswered.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import SHANGHAI
from storage.unanswered import list_unanswered, record_unanswered

T0 = datetime(2023, 5, 10, 10, 0, tzinfo=SHANGHAI)


async def test_grouped_by_normalised_question_most_frequent_first(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    asked = [
        ("xiaogan-2023", "明天天气怎么样", "明天天气怎么样", 0),
        ("xiaogan-2023", "明天天气怎么样？", "明天天气怎么样", 5),
        ("xiaogan-2023", "住宿怎么安排", "住宿怎么安排", 1),
        ("fujian-2023", "明天天气怎么样", "明天天气怎么样", 2),
        ("xiaogan-2023", "请问明天天气怎么样", "明天天气怎么样", 3),
    ]
    async with sessionmaker() as session:
        for slug, question, normalised, minutes in asked:
            await record_unanswered(session, campaign_slug=slug, question=question,
                                    normalised=normalised, best_score=0.1 * minutes,
                                    asked_at=T0 + timedelta(minutes=minutes), user_id=1001)
        await session.commit()
    async with sessionmaker() as session:
        groups = await list_unanswered(session, campaign="xiaogan-2023")
        everything = await list_unanswered(session)
        top_one = await list_unanswered(session, limit=1)
    first, second = groups
    assert (first.count, first.normalised, second.count) == (3, "明天天气怎么样", 1)
    assert first.question == "明天天气怎么样？"  # the latest wording
    assert first.last_asked == T0 + timedelta(minutes=5)
    assert first.last_asked.tzinfo is not None
    assert first.best_score == 0.5
    assert [g.campaign_slug for g in everything].count("fujian-2023") == 1
    assert len(everything) == 3 and len(top_one) == 1


async def test_long_questions_are_cut_and_users_optional(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        row = await record_unanswered(session, campaign_slug="fujian-2023", question="问" * 2000,
                                      normalised="问" * 2000, best_score=0.0, asked_at=T0)
        await session.commit()
        assert row.user_id is None and len(row.question) == 1000 and len(row.normalised) == 400
