"""`zhaolu check-content --questions`: the generic questions asked of every campaign, one line
each (id, question, the clause and title it cites, or 通知未提及), in a stable format."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main as cli
from content.catalogue import load_catalogue
from content.question_check import NOT_SAID, check_questions, generic_questions

NOTICES = Path(__file__).parent / "fixtures" / "notices"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = cli(["check-content", *args])
    return code, capsys.readouterr().out.splitlines()


def test_every_campaign_gets_a_block_of_one_line_per_question(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys, str(NOTICES), "--questions")
    assert code == 0 and lines[-1] == "ok: 2 campaigns"
    heads = [line for line in lines if line.startswith("== ")]
    assert [h.split()[1] for h in heads] == ["hubei-2015", "qingxi-2024"]
    rows = [line.split("\t") for line in lines if "\t" in line]
    assert len(rows) == 2 * len(generic_questions())
    assert all(len(row) == 3 and row[2] for row in rows)
    ids = [row[0] for row in rows]
    assert ids[:len(generic_questions())] == [i for i, _ in generic_questions()]


def test_without_the_option_nothing_is_asked(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys, str(NOTICES))
    assert code == 0 and lines == ["ok: 2 campaigns"]


def test_what_the_county_notice_says_and_leaves_out() -> None:
    county = load_catalogue(NOTICES).get("qingxi-2024")
    assert county is not None
    rows = {row.id: row for row in check_questions(county)}
    for left_out in ("duration", "housing", "fees", "establishment", "age"):
        assert not rows[left_out].said and rows[left_out].line().endswith(NOT_SAID)
    assert rows["part_time"].said and rows["part_time"].clause == "一、招收对象（二）"
    assert rows["quotas"].said and "简章首段" in rows["quotas"].line()
    assert rows["phones"].said


def test_a_guess_names_the_closest_clause(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys, str(NOTICES / "hubei-2015.yaml"), "--questions")
    quotas = next(line for line in lines if line.startswith("quotas\t"))
    assert quotas.split("\t")[2].startswith(f"{NOT_SAID}（最接近：")


@pytest.mark.parametrize(("slug", "question", "cites"), [
    # The county notice says nothing of 往届: its clause on 全日制毕业生 shares only 毕业生.
    ("qingxi-2024", "graduates", None),
    # Four Hubei clauses mention 笔试; the one headed 笔试 is about it, not the one on
    # postgraduates (无须参加笔试), which also holds 录取, another word of the topic.
    ("hubei-2015", "exam", ("三、招生程序（一）2", "笔试")),
])
def test_a_question_cites_the_clause_on_its_own_topic_word(
        slug: str, question: str, cites: tuple[str, str] | None) -> None:
    campaign = load_catalogue(NOTICES).get(slug)
    assert campaign is not None
    row = next(row for row in check_questions(campaign) if row.id == question)
    if cites is None:
        assert not row.said and row.line().endswith(NOT_SAID), row.line()
    else:
        assert row.said and (row.clause, row.title) == cites, row.line()
