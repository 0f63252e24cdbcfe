"""Unanswered questions grouped by similarity and marked answered: the measure on cases written
before its threshold was chosen, the repository, /staff → ❓ 未答问题 through the real Dispatcher,
and `zhaolu unanswered`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.clock import parse_moment
from content.similarity import Form, cluster, matching
from storage.engine import create_engine, make_sessionmaker, prepare_database
from storage.faq_overlay import add_entry, remove_entry
from storage.staff import COORDINATOR
from storage.unanswered import (
    UnansweredQuestion,
    list_unanswered,
    mark_answered,
    normalised_form,
    record_unanswered,
)
from tests.harness import Harness
from tests.staff_helpers import ADMIN, ANLU_STAFF, COORD, FJ, OUTSIDER, XG, give_role

T0 = parse_moment("2023-05-10T10:00:00+08:00")
FJ_COORD = 5001
STALE = [("answerCallbackQuery", "这个按钮已失效，请重新打开菜单：/menu")]
SYNONYMS = "needs word knowledge the normalisation lacks"

# Written before the threshold was chosen (it was then chosen on the 447 questions of the Q&A
# dev and held-out sets, labelled by the answer the Q&A gives them; README, Unanswered questions).
PARAPHRASES = [
    pytest.param(["报名要带什么材料", "报名需要准备哪些材料？", "请问报名材料有哪些"],
                 id="materials"),
    pytest.param(["宿舍有空调吗", "宿舍里装空调了吗", "住的地方有没有空调"], id="aircon"),
    pytest.param(["培训期间可以请假吗", "培训的时候能请假吗", "规培期间请假怎么办"], id="leave"),
    pytest.param(["食堂吃饭要钱吗", "在食堂吃饭收费吗", "食堂就餐免费吗"], id="canteen",
                 marks=pytest.mark.xfail(strict=True, reason=f"就餐 = 吃饭: {SYNONYMS}")),
    pytest.param(["可以带家属一起住吗", "家属能一起住宿舍吗"], id="family"),
    pytest.param(["培训结束后包分配工作吗", "培训完了会分配工作吗", "结业以后给安排工作吗"],
                 id="jobs"),  # the 就业安排 topic (包分配 / 安排工作) holds them together
]
APART = [
    pytest.param("报名要带什么材料", "报名截止是哪天", id="materials-deadline"),
    pytest.param("宿舍有空调吗", "宿舍有热水吗", id="aircon-hot-water"),
    pytest.param("培训期间可以请假吗", "培训期间有工资吗", id="leave-pay", marks=pytest.mark.xfail(
        strict=True, reason="请 is a question-frame character in the lexicon: 请假 weighs light")),
    pytest.param("食堂吃饭要钱吗", "住宿费多少钱", id="canteen-lodging"),
    pytest.param("报名什么时候开始", "报名什么时候截止", id="opens-closes"),
    pytest.param("可以带家属一起住吗", "可以带电脑吗", id="family-computer"),
    pytest.param("培训结束后包分配工作吗", "培训结束后发什么证书", id="job-certificate"),
]
POOL = [q for p in PARAPHRASES for q in p.values[0]] + [q for p in APART for q in p.values[:2]]


def _groups(questions: list[str]) -> dict[str, int]:
    """Group of each question, clustered with all the cases at once (as a campaign's list is)."""
    forms = [Form(normalised_form(q)) for q in dict.fromkeys(questions)]
    found = {m.text: i for i, group in enumerate(cluster(forms)) for m in group}
    return {q: found[normalised_form(q)] for q in questions}


@pytest.mark.parametrize("wordings", PARAPHRASES)
def test_paraphrases_group_together(wordings: list[str]) -> None:
    groups = _groups(POOL)
    assert len({groups[q] for q in wordings}) == 1, {q: groups[q] for q in wordings}


@pytest.mark.parametrize(("one", "other"), APART)
def test_different_questions_stay_apart(one: str, other: str) -> None:
    groups = _groups(POOL)
    assert groups[one] != groups[other]


def test_the_most_asked_form_seeds_its_group_and_matching_agrees() -> None:
    forms = [Form(normalised_form("请问报名材料有哪些"), 1),
             Form(normalised_form("报名截止是哪天"), 9),
             Form(normalised_form("报名要带什么材料"), 5)]
    groups = cluster(forms)
    assert [[f.count for f in g] for g in groups] == [[9], [5, 1]]
    hits = matching(normalised_form("报名材料要准备什么"), [f.text for f in forms])
    assert normalised_form("请问报名材料有哪些") in hits
    assert normalised_form("报名截止是哪天") not in hits
    # Only frame words: still compared (not dropped), and alike only to itself.
    assert cluster([Form("怎么办"), Form("怎么办呢"), Form("什么")]) != []


async def _ask(session, slug: str, question: str, minutes: int, user: int | None = None):
    return await record_unanswered(session, campaign_slug=slug, question=question,
                                   normalised=normalised_form(question), best_score=0.2,
                                   asked_at=T0 + timedelta(minutes=minutes), user_id=user)


async def test_groups_count_forms_keep_the_latest_wording_and_show_what_was_answered(
        sessionmaker) -> None:
    async with sessionmaker() as session:
        rows = [await _ask(session, XG, q, m) for q, m in (
            ("宿舍有空调吗", 0), ("宿舍有空调吗？", 5), ("住的地方有没有空调", 9),
            ("可以带家属一起住吗", 3), ("家属能一起住宿舍吗", 4), ("报名截止是哪天", 1))]
        await _ask(session, FJ, "宿舍有空调吗", 2)
        await session.commit()
    async with sessionmaker() as session:
        groups = await list_unanswered(session, campaign=XG)
    assert [(g.count, g.forms, g.question, g.answered) for g in groups] == [
        (3, 2, "住的地方有没有空调", False), (2, 2, "家属能一起住宿舍吗", False),
        (1, 1, "报名截止是哪天", False)]
    assert groups[0].last_asked == T0 + timedelta(minutes=9)

    async with sessionmaker() as session:
        assert await mark_answered(session, question_ids=[rows[3].id], by=COORD,
                                   now=T0) == 1
        assert await mark_answered(session, question_ids=[rows[3].id], by=ADMIN,
                                   now=T0) == 0  # the first reply counts
        entry = await add_entry(session, campaign_slug=XG, question="宿舍里有空调吗",
                                answer="有。", author_id=COORD, author_label="协调员", now=T0)
        await session.commit()
    async with sessionmaker() as session:
        groups = await list_unanswered(session, campaign=XG)
        fujian = await list_unanswered(session, campaign=FJ)
        marked = (await session.exec(select(UnansweredQuestion).where(
            UnansweredQuestion.faq_id == entry.id))).all()
    assert [(g.faq_id, g.replied, g.answered) for g in groups] == [
        (entry.id, 0, True), (None, 1, True), (None, 0, False)]
    assert sorted(r.question for r in marked) == \
        ["住的地方有没有空调", "宿舍有空调吗", "宿舍有空调吗？"]
    assert fujian[0].faq_id is None  # an entry answers its own campaign only
    async with sessionmaker() as session:
        await remove_entry(session, entry_id=entry.id or 0, by=COORD, now=T0)
        await session.commit()
    async with sessionmaker() as session:
        assert (await list_unanswered(session, campaign=XG))[0].faq_id is None


async def test_scope_limits_and_the_limit(sessionmaker) -> None:
    async with sessionmaker() as session:
        for i, question in enumerate(("宿舍有空调吗", "可以带家属一起住吗", "报名截止是哪天")):
            await _ask(session, XG, question, i)
        await _ask(session, FJ, "食堂吃饭要钱吗", 9)
        await session.commit()
    async with sessionmaker() as session:
        assert [g.campaign_slug for g in await list_unanswered(session, campaigns=[FJ])] == [FJ]
        assert await list_unanswered(session, campaigns=[]) == []
        assert len(await list_unanswered(session, limit=2)) == 2
        assert len(await list_unanswered(session)) == 4


async def _applicants_ask(h: Harness) -> None:
    for user, question in ((11, "宿舍有空调吗"), (12, "宿舍有空调吗"), (13, "住的地方有没有空调"),
                           (14, "可以带家属一起住吗"), (15, "家属能一起住宿舍吗"),
                           (22, "食堂吃饭要钱吗")):
        h.clock.advance(timedelta(minutes=1))
        await h.send(question, user)


async def _open(h: Harness, user: int):
    await h.send("/staff", user)
    return await h.press("❓ 未答问题", user)


async def test_the_staff_list_groups_similar_questions_in_scope_and_shows_answers(
        staffed: Harness) -> None:
    h = staffed
    await give_role(h, FJ_COORD, COORDINATOR, FJ)
    await _applicants_ask(h)
    first = await _open(h, COORD)
    assert "住的地方有没有空调" in first.text and "3 人次（2 种问法）" in first.text
    assert "家属能一起住宿舍吗" in first.text and "2 人次（2 种问法）" in first.text
    assert "食堂" not in first.text and first.text.count("❔ 未答") == 2
    assert first.text.index("住的地方有没有空调") < first.text.index("家属能一起住宿舍吗")
    assert "孝感" not in first.text.split("\n", 1)[1]  # one campaign: not named

    async with h.services.sessionmaker() as session, session.begin():
        family = (await session.exec(select(UnansweredQuestion).where(
            UnansweredQuestion.user_id == 14))).one()
        await mark_answered(session, question_ids=[family.id or 0], by=COORD, now=h.clock.now())
        entry = await add_entry(session, campaign_slug=XG, question="宿舍有空调吗", answer="有。",
                                author_id=COORD, author_label="协调员", now=h.clock.now())
    refreshed = await h.press("🔄 刷新", COORD)
    assert f"✅ 已答复（问答补充 #{entry.id}）" in refreshed.text
    assert "✅ 已答复（1 人次已回复）" in refreshed.text and "❔ 未答" not in refreshed.text

    assert "宿舍有空调吗" not in (await _open(h, FJ_COORD)).text
    assert "食堂吃饭要钱吗" in (await _open(h, FJ_COORD)).text
    assert "家属能一起住宿舍吗" in (await _open(h, ANLU_STAFF)).text  # the campaign's, base staff
    admin = await _open(h, ADMIN)
    assert "食堂吃饭要钱吗" in admin.text and "住的地方有没有空调" in admin.text
    assert "福建" in admin.text and "孝感" in admin.text

    await h.send("/start xiaogan-2023", OUTSIDER)
    calls = await h.press_data("sf:unq:0:", OUTSIDER)
    assert [(c.method, c.params.get("text")) for c in calls] == STALE


async def test_the_staff_list_shows_ten_groups_at_most_and_says_when_empty(
        staffed: Harness) -> None:
    h = staffed
    assert "暂无未答问题" in (await _open(h, COORD)).text
    topics = ["空调", "热水", "洗衣机", "停车位", "班车", "图书馆", "健身房", "网络", "快递",
              "门禁", "食堂", "晚自习"]
    async with h.services.sessionmaker() as session, session.begin():
        for i, topic in enumerate(topics):
            await _ask(session, XG, f"基地有没有{topic}" + "？" * 300, i)
    calls = await _open(h, COORD)
    assert calls.text.count("人次") == 10 and "仅显示前 10 组" in calls.text


async def test_0004_keeps_the_questions_of_a_database_in_use_and_steps_back(db_url) -> None:
    """A database at 0003 with logged questions: 0004 adds the overlay and the answered columns
    (empty), its downgrade removes them, and the questions stay throughout."""
    from alembic import command
    from sqlalchemy import inspect, text

    from storage.engine import alembic_config

    def upgrade(target: str):
        return lambda c: command.upgrade(alembic_config(c), target)

    def columns(connection) -> set[str]:
        return {c["name"] for c in inspect(connection).get_columns("unanswered_questions")}

    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade("0003"))
            await connection.execute(text(
                "INSERT INTO unanswered_questions (campaign_slug, question, normalised, "
                "best_score, asked_at) VALUES ('xiaogan-2023', '宿舍有空调吗', '住宿有空调', 0.5, "
                "CURRENT_TIMESTAMP)"))
            await connection.run_sync(upgrade("0004"))
            assert {"answered_at", "answered_by", "faq_id"} <= await connection.run_sync(columns)
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0003"))
            assert "faq_id" not in await connection.run_sync(columns)
            assert "faq_overlay" not in await connection.run_sync(
                lambda c: inspect(c).get_table_names())
        await prepare_database(engine)
        async with make_sessionmaker(engine)() as session:
            groups = await list_unanswered(session)
        assert [(g.question, g.answered) for g in groups] == [("宿舍有空调吗", False)]
    finally:
        await engine.dispose()


def _url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{(tmp_path / 'unq.db').as_posix()}"


async def _seed(url: str) -> None:
    engine = create_engine(url)
    await prepare_database(engine)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            rows = [await _ask(session, XG, q, i) for i, q in enumerate(
                ["宿舍有空调吗", "住的地方有没有空调", "可以带家属一起住吗", "报名截止是哪天"])]
            await mark_answered(session, question_ids=[rows[2].id or 0], by=COORD, now=T0)
            await add_entry(session, campaign_slug=XG, question="宿舍有空调吗", answer="有。",
                            author_id=COORD, author_label="协调员", now=T0)
    finally:
        await engine.dispose()


def test_the_cli_keeps_its_columns_and_adds_answered(tmp_path: Path, capsys) -> None:
    url = _url(tmp_path)
    asyncio.run(_seed(url))
    assert main(["unanswered", "--db", url, "--campaign", XG]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["count", "last", "asked", "campaign", "answered", "question"]
    assert [line.split()[0] for line in lines[1:]] == ["2", "1", "1"]
    assert lines[1].split()[4:] == ["faq#1", "住的地方有没有空调"]
    assert {tuple(line.split()[4:]) for line in lines[2:]} == {
        ("reply:1", "可以带家属一起住吗"), ("no", "报名截止是哪天")}
    assert main(["unanswered", "--db", url, "--jsonl", "--limit", "1"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["count"], r["forms"], r["answered"], r["faq_id"]) for r in rows] == \
        [(2, 2, True, 1)]
