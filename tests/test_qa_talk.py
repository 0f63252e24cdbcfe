"""Q&A that understands people (issue 12 §4), through the real Dispatcher: small talk, English,
a pasted paragraph, follow-ups, the contacts that fit, review/exam, age and majors said right."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.clock import parse_moment
from content.qa_reply import visible_length
from storage.unanswered import list_unanswered
from tests.harness import Harness

FUJIAN_NOW = parse_moment("2023-07-10T10:00")


async def _menu_labels(harness: Harness) -> list[str]:
    await harness.send("/menu")
    return harness.labels()


def _contacts_shown(text: str) -> int:
    return len(re.findall(r"^• ", text, flags=re.MULTILINE))


@pytest.mark.parametrize("typed", ["在吗", "谢谢", "好的", "1", "？？？", "好的谢谢老师", "嗯嗯"])
async def test_small_talk_gets_a_short_reply_and_the_menu(harness: Harness, typed: str) -> None:
    await harness.send("/start xiaogan-2023")
    menu = await _menu_labels(harness)
    calls = await harness.send(typed)
    assert calls.methods() == ["sendMessage"]
    assert visible_length(calls.text) <= 60
    assert "来源" not in calls.text and "2839876" not in calls.text
    assert calls.labels == menu
    async with harness.services.sessionmaker() as session:
        assert await list_unanswered(session) == []


async def test_each_kind_of_small_talk_has_its_own_reply(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    replies = {typed: (await harness.send(typed)).text for typed in ("在吗", "谢谢", "好的", "1")}
    assert len(set(replies.values())) == 4
    assert "不客气" in replies["谢谢"]


async def test_english_gets_a_bilingual_note_and_the_menu(harness: Harness) -> None:
    await harness.send("/start fujian-2023")
    menu = await _menu_labels(harness)
    calls = await harness.send("How can I apply for this training?")
    assert "Chinese" in calls.text and "中文" in calls.text
    assert calls.labels == menu


async def test_a_pasted_paragraph_gets_an_answer_for_each_covered_question(
        harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send(
        "老师您好，我是护理专业的。能报吗？报名截止是哪天？有没有住宿？培训期间有补助吗")
    text = calls.text
    assert "4个问题" in text
    assert "不能报名" in text  # the nurse, by the rules
    assert "6月30日" in text  # the deadline
    assert "补助" in text
    assert "通知没有写明" in text and "住宿" in text.split("通知没有写明")[1]
    # whom to ask about the part left out, as a silent reply would say
    assert "可以咨询" in text.split("通知没有写明")[-1] and "2839876" in text, text
    assert visible_length(text) <= 600


async def test_questions_typed_with_spaces_are_answered_each(harness: Harness) -> None:
    """On a phone people leave out the question marks: a space between two questions ends
    the first; a statement before a question stays its context."""
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("报名截止是哪天 培训要几年 有宿舍吗")
    assert "3个问题" in calls.text, calls.text
    assert "6月30日" in calls.text and "2年" in calls.text
    assert "通知没有写明" in calls.text and "宿舍" in calls.text.split("通知没有写明")[1]
    personal = await harness.send("我是护理专业的 能报吗")
    assert "个问题" not in personal.text and "不能报名" in personal.text


async def test_too_many_questions_are_asked_one_at_a_time(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("几号截止？要什么材料？学费多少？住哪里？补助多少？")
    assert "一次只问一个" in calls.text and "几号截止" in calls.text


async def test_a_follow_up_uses_the_last_topic_for_a_while(harness: Harness) -> None:
    harness.clock.set(FUJIAN_NOW)
    await harness.send("/start fujian-2023")
    first = await harness.send("报名以后会审核吗")
    assert "资格审核" in first.text
    follow = await harness.send("那要多久")
    assert "7月9日" in follow.text and "资格审核" in follow.text
    # The event and the fact it was written from are one answer, not a choice of two.
    assert follow.labels == ["« 返回菜单"]
    # Another user asking the same at once has no topic to lean on.
    await harness.send("/start fujian-2023", user=2002)
    other = await harness.send("那要多久", user=2002)
    assert "资格审核" not in other.text
    # A follow-up naming its own topic is answered for it.
    own = await harness.send("那什么时候出结果")
    assert "录取结果" in own.text and "7月15日" in own.text
    # Later, the topic is forgotten.
    await harness.send("报名以后会审核吗")
    harness.clock.advance(timedelta(minutes=11))
    late = await harness.send("那要多久")
    assert "资格审核" not in late.text


@pytest.mark.parametrize(("slug", "question", "shown", "not_shown"), [
    ("xiaogan-2023", "学院老师电话多少", ["2464255"], ["2839876", "8299245"]),
    ("xiaogan-2023", "培训基地的电话", ["2349370", "8299245", "5275623"], ["2464255"]),
    ("xiaogan-2023", "联系电话是多少", ["2839876"], ["5275623"]),
    ("fujian-2023", "技术支持电话是多少", ["400-888-0052"], ["83574579"]),
    ("fujian-2023", "网站登不上去打哪个电话", ["400-888-0052"], []),
    # Xiaogan gives no technical-support line: 技术 of 职业技术学院 does not make the college one.
    ("xiaogan-2023", "技术支持电话", ["2839876"], ["2464255"]),
    ("xiaogan-2023", "湖北职院医学院那边联系人是谁", ["胡老师", "2464255"], ["2839876"]),
    ("xiaogan-2023", "报名遇到问题可以找市卫健委哪个科", ["人事科", "2839876"], ["2464255"]),
])
async def test_phone_questions_get_the_contacts_that_fit(
        harness: Harness, slug: str, question: str, shown: list[str],
        not_shown: list[str]) -> None:
    harness.clock.set(FUJIAN_NOW if slug.startswith("fujian") else harness.clock.now())
    await harness.send(f"/start {slug}")
    calls = await harness.send(question)
    assert all(number in calls.text for number in shown), calls.text
    assert not any(number in calls.text for number in not_shown), calls.text
    assert 1 <= _contacts_shown(calls.text) <= 3


async def test_a_fallback_shows_two_or_three_contacts_not_six(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("明天孝感下雨吗")
    assert 1 <= _contacts_shown(calls.text) <= 3
    assert "其他电话见菜单" in calls.text


@pytest.mark.parametrize("question", ["培训在哪里", "在哪培训", "去哪里培训"])
async def test_where_is_the_training_gets_the_bases(harness: Harness, question: str) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send(question)
    assert all(name in calls.text for name in ("孝感市第一人民医院", "汉川市人民医院",
                                               "安陆市普爱医院"))


@pytest.mark.parametrize(("slug", "question", "says"), [
    ("xiaogan-2023", "报名以后会审核吗", ["预报名", "资格审核", "考试录取"]),
    ("xiaogan-2023", "有笔试吗", ["预报名", "考试录取"]),
    ("fujian-2023", "报名以后会审核吗", ["资格审核"]),
    ("fujian-2023", "有笔试吗", ["录取"]),
])
async def test_review_and_exam_questions_get_the_notice_clause(
        harness: Harness, slug: str, question: str, says: list[str]) -> None:
    harness.clock.set(FUJIAN_NOW if slug.startswith("fujian") else harness.clock.now())
    await harness.send(f"/start {slug}")
    calls = await harness.send(question)
    assert all(word in calls.text for word in says), calls.text
    # A clause answers (not "the notice does not say"); a clause naming no exam (Fujian's
    # 系统录取) is said to be silent on the exam first, and still given.
    rest = calls.text.replace("通知没有写明笔试、面试等考试。通知的相关规定是：", "")
    assert "没有写明" not in rest and "来源" in calls.text, calls.text
    # Not the clause addressed to the bases (工作要求) when an answer written for applicants
    # says the same; asked about the bases' duties, that clause still answers.
    assert "领导小组" not in calls.text


async def test_the_bases_duties_are_still_answered_when_asked(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("培训基地有什么职责")
    assert "领导小组" in calls.text and "来源" in calls.text


@pytest.mark.parametrize(("slug", "question"), [
    ("xiaogan-2023", "没考证能报吗"), ("xiaogan-2023", "还没拿到证可以报名吗"),
    ("fujian-2023", "没考证能报吗")])
async def test_no_certificate_gets_yes_not_the_excluded_clause(harness: Harness, slug: str,
                                                              question: str) -> None:
    """证 alone is the licence: no licence is what the notices ask for, so the answer is yes
    (the 不在招录之列 clause is about those who already hold the 执业医师 licence)."""
    harness.clock.set(FUJIAN_NOW if slug.startswith("fujian") else harness.clock.now())
    await harness.send(f"/start {slug}")
    calls = await harness.send(question)
    assert "可以报名" in calls.text, calls.text
    assert "不在招录之列" not in calls.text and "不能报名" not in calls.text


async def test_a_diploma_is_not_the_licence(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("没有毕业证能报吗")
    assert "没有执业资格" not in calls.text, calls.text


@pytest.mark.parametrize("question", ["可以报名护理专业吗", "请问能报名护理专业吗",
                                      "我想报名护理专业可以吗"])
async def test_a_personal_answer_names_the_major_cleanly(harness: Harness, question: str) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send(question)
    assert calls.text.startswith("<b>护理专业：不能报名</b>"), calls.text
    assert "报名护理" not in calls.text


@pytest.mark.parametrize("question", ["36岁能报吗", "我37了", "年龄要求", "年纪大了还能报吗",
                                      "我今年40岁了可以参加吗"])
async def test_age_without_a_limit_is_said_once_and_the_same(harness: Harness,
                                                             question: str) -> None:
    harness.clock.set(FUJIAN_NOW)
    await harness.send("/start fujian-2023")
    calls = await harness.send(question)
    assert calls.text.count("通知未规定年龄上限") == 1, calls.text
    assert "对年龄没有限制" not in calls.text and "没有写明年龄" not in calls.text


@pytest.mark.parametrize("question", ["36岁能报吗", "我37了"])
async def test_age_with_a_limit_says_it(harness: Harness, question: str) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send(question)
    assert "35周岁" in calls.text and "不能报名" in calls.text


@pytest.mark.parametrize("typed", ["联系电话是多少", "有问题打哪个电话"])
async def test_contact_hours_in_an_answer_say_when_they_are_over(harness: Harness,
                                                                typed: str) -> None:
    """Fujian's consultation hours (7月9-12日) are quoted as they are while they last, and
    said to be over after, in a Q&A answer as on the contacts page."""
    harness.clock.set(FUJIAN_NOW)
    await harness.send("/start fujian-2023")
    during = await harness.send(typed)
    harness.clock.set(FUJIAN_NOW + timedelta(days=5))
    after = await harness.send(typed)
    assert "咨询时间" in during.text and "已结束" not in during.text
    assert "咨询时间" in after.text and "（已结束）" in after.text


async def test_that_i_do_what_follows_the_last_answer(harness: Harness) -> None:
    """"那我咋办" (issue 12 §4) after the deadline is about the deadline: late registration is
    refused (逾期不予补报); asked alone it is no question, and says so."""
    harness.clock.set(FUJIAN_NOW + timedelta(days=3))
    await harness.send("/start fujian-2023")
    await harness.send("报名截止是哪天")
    follow = await harness.send("那我咋办")
    assert "逾期不予补报" in follow.text, follow.text
    await harness.send("/start fujian-2023", user=2002)
    alone = await harness.send("那我咋办", user=2002)
    assert "逾期不予补报" not in alone.text and "没有写明" in alone.text


async def test_a_question_of_its_own_is_not_read_as_the_previous_topic(harness: Harness) -> None:
    """After 报名时间, "培训期间能考执业助理医师吗" (a guess on its own) is not answered with the
    registration window again; "那要多久"-style follow-ups still lean on the previous topic."""
    await harness.send("/start xiaogan-2023")
    await harness.send("报名时间是什么时候？")
    calls = await harness.send("培训期间能考执业助理医师吗")
    assert "<b>报名时间</b>" not in calls.text and "执业助理医师" in calls.text, calls.text
