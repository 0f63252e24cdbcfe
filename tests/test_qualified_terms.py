"""Matching: a qualified term (非全日制, 不是应届, 非本县) is another category than its base term,
and a topic the notice leaves out gets "the notice does not say" rather than the nearest clause
sharing a word (the notice's own title words included). Generic: no campaign is named in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import parse_moment
from content.catalogue import load_catalogue
from content.matching import mismatched, qualified_terms, said_plainly
from content.qa import answer
from content.qa_reply import FALLBACK
from content.schema import Campaign

FIXTURES = Path(__file__).parent / "fixtures"


def test_qualified_terms_and_plain_mentions() -> None:
    assert qualified_terms("非全日制专科可以报名") == {"全日"}
    assert qualified_terms("不是应届可以报名") == {"应届"}
    assert qualified_terms("是不是应届都可以") == set()  # a question, not a denial
    assert said_plainly("全日制普通高校专科", "全日")
    assert not said_plainly("非全日制专科层次毕业生", "全日")
    assert mismatched("非全日制专科可以报名", set(), ["全日制普通高校专科层次毕业生"])
    assert not mismatched("非全日制专科可以报名", {"全日"}, ["非全日制专科层次毕业生"])
    assert mismatched("全日制专科可以报名", {"全日"}, ["非全日制专科层次毕业生"])
    assert not mismatched("全日制专科可以报名", set(), ["全日制普通高校专科层次毕业生"])
    assert not mismatched("培训多久", set(), ["培训年限为2年"])


@pytest.fixture(scope="module")
def yangli() -> Campaign:
    campaign = load_catalogue(FIXTURES / "qa-third").get("yangli-2024")
    assert campaign is not None
    return campaign


@pytest.mark.parametrize("question", ["非全日制的可以报名吗", "不是全日制的能参加吗",
                                      "非全日制大专能报吗"])
def test_a_clause_on_the_base_term_does_not_answer_the_qualified_one(yangli: Campaign,
                                                                     question: str) -> None:
    # The notice names only 全日制 graduates: at most a guess, with whom to ask.
    reply = answer(yangli, question, parse_moment("2024-06-10T10:00"))
    assert reply.kind == FALLBACK and "0000-1234567" in reply.text, reply.text


def test_the_base_term_still_finds_its_clause(yangli: Campaign) -> None:
    reply = answer(yangli, "全日制大专能报吗", parse_moment("2024-06-10T10:00"))
    assert reply.kind != FALLBACK and "全日制高职高专临床医学专业毕业生" in reply.text


@pytest.fixture(scope="module")
def notices() -> dict[str, Campaign]:
    catalogue = load_catalogue(FIXTURES / "notices")
    return {slug: catalogue.get(slug) for slug in catalogue.slugs}  # type: ignore[misc]


@pytest.mark.parametrize(("slug", "now"), [("qingxi-2024", "2024-05-03T10:00"),
                                           ("hubei-2015", "2015-05-05T10:00")])
@pytest.mark.parametrize("question", ["培训要几年", "培训要多久", "要培训几年啊"])
def test_a_topic_the_notice_leaves_out_is_said_to_be_left_out(notices: dict[str, Campaign],
                                                              slug: str, now: str,
                                                              question: str) -> None:
    reply = answer(notices[slug], question, parse_moment(now))
    assert reply.kind == FALLBACK and "培训年限" in reply.text, reply.text
    assert "报名时间" not in reply.text


def test_a_word_of_the_notices_title_marks_no_clause_as_on_topic(notices: dict[str, Campaign]
                                                                  ) -> None:
    # 住院医师 is a term of the pay topic and in every clause of a 住院医师规范化培训 notice.
    reply = answer(notices["hubei-2015"], "培训期间有工资吗", parse_moment("2015-05-05T10:00"))
    assert reply.kind == FALLBACK and "招录原则" not in reply.text, reply.text


def test_no_limit_is_not_said_where_a_rule_sets_one(xiaogan: Campaign) -> None:
    # Xiaogan's 35-year rule stays; its facts on age are taken out: the notice's words are gone,
    # the rule is not, so "通知未规定年龄上限" would be false.
    sections = {key: [f for f in facts if "岁" not in f.text] for key, facts in
                xiaogan.sections.items()}
    stripped = xiaogan.model_copy(update={"sections": sections, "faq": []})
    reply = answer(stripped, "年龄有要求吗", parse_moment("2023-05-10T10:00"))
    assert "未规定年龄上限" not in reply.text, reply.text
    assert reply.kind == FALLBACK
