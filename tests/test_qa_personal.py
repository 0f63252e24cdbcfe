"""Personal questions answered with the eligibility rules (content/qa_profile.py, qa_personal)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from bot.clock import parse_moment
from content.catalogue import Catalogue, load_catalogue
from content.normalise import normalise
from content.qa import answer
from content.qa_profile import birth_dates, stated
from content.qa_reply import ANSWERED, MAX_CHARS, visible_length
from content.schema import Campaign

MAY = parse_moment("2023-05-10T10:00")
JULY = parse_moment("2023-07-01T10:00")
THIRD = Path(__file__).parent / "fixtures" / "qa-third"


def campaign(catalogue: Catalogue, slug: str) -> Campaign:
    found = catalogue.get(slug)
    assert found is not None
    return found


def facts(question: str) -> dict[str, tuple[object, ...]] | None:
    found = stated(normalise(question, atomic=False), date(2023, 5, 10))
    return found.options if found else None


@pytest.mark.parametrize(("question", "expected"), [
    ("护理专业能报吗", {"major": ("护理",)}),
    ("我是大专护理专业的可以报吗", {"education": ("专科",), "major": ("护理",)}),
    ("中专学历护理专业能报吗", {"education": ("中专",), "major": ("护理",)}),
    ("我是本科能报吗", {"education": ("本科",)}),
    ("考過執業醫師了還能報嗎", {"qualification": ("执业医师",)}),
    ("没有执业医师证能报吗", {"qualification": ("无",)}),
    ("我在卫生院上班能报吗", {"employment": ("基层医疗卫生机构",)}),
    ("在县医院上班可以报吗", {"employment": ("其他单位",)}),
    ("已经上班了能报吗", {"employment": ("基层医疗卫生机构", "其他单位")}),
    ("定向生可以报吗", {"sponsorship": ("农村订单定向",)}),
    # Said the way people type: 俺 for 我, words between the age and the question.
    ("俺都40了 还有机会不", {"birth_date": (date(1983, 5, 10), date(1982, 5, 11))}),
    ("我38了福建的还能报不", {"birth_date": (date(1985, 5, 10), date(1984, 5, 11))}),
])
def test_stated_facts(question: str, expected: dict[str, tuple[object, ...]]) -> None:
    assert facts(question) == expected


@pytest.mark.parametrize("question", [
    "现在还能报名吗", "什么专业可以报", "非临床专业能报吗", "35岁以上能报名不",
    "还没有执业助理医师资格证要交吗", "已经在乡镇卫生院工作了怎么报名", "在中医院上班有补助吗",
    "22年毕业的还能报吗", "我22届的能报吗",  # a year or a class, not an age
])
def test_not_a_personal_statement(question: str) -> None:
    assert facts(question) is None


def test_an_age_today_is_any_birth_date_of_that_age() -> None:
    assert birth_dates(36, date(2023, 5, 10)) == (date(1987, 5, 10), date(1986, 5, 11))
    # 超过35岁: at least 36.
    assert facts("超过三十五岁可以参加吗") == {"birth_date": birth_dates(36, date(2023, 5, 10))}


@pytest.mark.parametrize(("slug", "now", "question", "says", "verdict"), [
    ("xiaogan-2023", MAY, "我今年36岁还能报吗", "35周岁以下", "ineligible"),
    ("xiaogan-2023", MAY, "护理专业能报吗", "临床医学类", "ineligible"),
    ("xiaogan-2023", MAY, "中专毕业可以吗", "中专", "ineligible"),
    ("xiaogan-2023", MAY, "有执业医师证还能参加吗", "执业医师", "ineligible"),
    ("xiaogan-2023", MAY, "定向生可以报吗", "选送", "conditional"),
    ("fujian-2023", JULY, "我是本科能报吗", "高职高专", "ineligible"),
    ("fujian-2023", JULY, "我在卫生院上班能报吗", "8月", "conditional"),
    ("fujian-2023", JULY, "我今年36岁还能报吗", "通知未规定年龄上限", "eligible"),
    ("fujian-2023", JULY, "有执业医师证还能参加吗", "未取得者可不提交", "eligible"),
])
def test_the_rules_answer_for_the_stated_facts(catalogue: Catalogue, slug: str, now: datetime,
                                               question: str, says: str, verdict: str) -> None:
    reply = answer(campaign(catalogue, slug), question, now)
    assert reply.kind == ANSWERED and reply.entry == f"eligibility:{verdict}"
    assert says in reply.text and "/check" in reply.text
    assert reply.text.endswith("）") and "（来源：" in reply.text.splitlines()[-1]
    assert visible_length(reply.text) <= MAX_CHARS


def test_a_rule_needing_an_unstated_field_is_quoted_not_guessed(catalogue: Catalogue) -> None:
    xiaogan = campaign(catalogue, "xiaogan-2023")
    reply = answer(xiaogan, "我已经有执业助理医师证了还可以参加吗", MAY)
    assert reply.entry == "eligibility:depends"
    assert "执业范围没有加注全科医学" in reply.text and "不能报名" not in reply.text
    work = answer(xiaogan, "我在卫生院上班能报吗", MAY)
    assert work.entry == "eligibility:depends" and "委托培训单位选送" in work.text


def test_an_age_on_the_limit_depends_on_the_birth_date(catalogue: Catalogue) -> None:
    # 35 on 10 May may be 36 by 30 June, the day ages are counted at.
    reply = answer(campaign(catalogue, "xiaogan-2023"), "我今年35岁还能报吗", MAY)
    assert reply.entry == "eligibility:depends"
    assert "出生日期" in reply.text and "2023年6月30日" in reply.text
    young = answer(campaign(catalogue, "xiaogan-2023"), "我今年30岁能报吗", MAY)
    assert young.entry == "eligibility:eligible" and "可以报名" in young.text


def test_can_apply_quotes_whom_the_notice_recruits(catalogue: Catalogue) -> None:
    """"可以报名" for what was said rests on the notice's own 招录对象 clause: quoted, so an
    往届 graduate reads that 应往届 are recruited."""
    reply = answer(campaign(catalogue, "xiaogan-2023"), "19年专科毕业的往届生还能报吗", MAY)
    assert reply.entry == "eligibility:eligible"
    assert "应往届专科毕业生" in reply.text and "二、招录对象" in reply.text
    reply = answer(campaign(catalogue, "fujian-2023"), "大专临床医学专业能报吗", JULY)
    assert reply.entry == "eligibility:eligible" and "社会人" in reply.text


def test_an_age_that_passes_quotes_the_limit(catalogue: Catalogue) -> None:
    """"34岁能报吗": yes, with the limit it was checked against in the notice's words; where the
    notice sets no limit, that is said instead."""
    reply = answer(campaign(catalogue, "xiaogan-2023"), "34岁往届生可以报吗 临床专科", MAY)
    assert reply.entry == "eligibility:eligible" and "35周岁以下" in reply.text
    reply = answer(campaign(catalogue, "fujian-2023"), "我25岁能报吗", JULY)
    assert reply.entry == "eligibility:eligible" and "35周岁" not in reply.text
    assert "通知未规定年龄上限" in reply.text


def test_the_same_open_rule_is_quoted_once(catalogue: Catalogue) -> None:
    reply = answer(campaign(catalogue, "fujian-2023"), "已经上班了能报吗", JULY)
    lines = reply.text.splitlines()
    assert len(lines) == len(set(lines))


def test_a_campaign_without_rules_answers_from_its_facts() -> None:
    yangli = load_catalogue(THIRD).get("yangli-2024")
    assert yangli is not None and yangli.eligibility is None
    reply = answer(yangli, "护理专业能报吗", parse_moment("2024-06-10T10:00"))
    assert not (reply.entry or "").startswith("eligibility:")


def test_a_licence_not_yet_taken_is_no_licence(catalogue: Catalogue) -> None:
    """"还没考执业助理" says the asker has none: never read as holding it, nor answered with the
    clause on those who hold it; a notice that lets them leave the certificate out says so."""
    assert facts("我还没考执业助理 没证能报不")["qualification"] == ("无",)
    assert facts("没拿到执业医师证能报吗")["qualification"] == ("无",)
    assert facts("有执业助理医师证能报吗")["qualification"] == ("执业助理医师",)
    reply = answer(campaign(catalogue, "xiaogan-2023"), "我还没考执业助理 没证能报不", MAY)
    assert reply.entry == "eligibility:eligible" and "没有执业资格" in reply.text
    assert "已取得执业助理医师资格" not in reply.text, reply.text
    reply = answer(campaign(catalogue, "fujian-2023"), "还没考执业助理医师能报吗", JULY)
    assert "未取得者可不提交" in reply.text and "已有执业助理" not in reply.text, reply.text
    assert reply.source.endswith("三、报名方式（一）")  # the clause quoted, not 招收对象


def test_an_unstated_age_limit_is_named(catalogue: Catalogue) -> None:
    """"22年专科毕业的临床医学能报吗" says nothing of age: yes for what was said, and the age
    limit, the condition most often missed; a notice without one names none."""
    reply = answer(campaign(catalogue, "xiaogan-2023"), "我是22年专科毕业的临床医学，现在还能报吗",
                   MAY)
    assert reply.entry == "eligibility:eligible" and "年龄要求：35周岁以下" in reply.text
    reply = answer(campaign(catalogue, "xiaogan-2023"), "34岁往届生可以报吗 临床专科", MAY)
    assert "另外，年龄要求" not in reply.text  # stated: checked against the limit instead
    reply = answer(campaign(catalogue, "fujian-2023"), "大专临床医学专业能报吗", JULY)
    assert "年龄要求" not in reply.text


def test_a_licence_said_short_is_the_licence(catalogue: Catalogue) -> None:
    """执医 (证) is how applicants say 执业医师: read as holding it, and answered as such."""
    assert facts("我已经拿了执医证了还能参加3+2吗")["qualification"] == ("执业医师",)
    reply = answer(campaign(catalogue, "xiaogan-2023"), "考过执医了还能报吗", MAY)
    assert reply.entry == "eligibility:ineligible" and "不在招录之列" in reply.text, reply.text
