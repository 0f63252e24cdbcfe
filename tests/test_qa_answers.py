"""Answers from both notices: time-aware, cited, short, honest (content/qa.py)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.clock import parse_moment
from content.qa import answer, answer_key
from content.qa_reply import AMBIGUOUS, ANSWERED, FALLBACK, MAX_CHARS, visible_length
from content.schema import Campaign, Fact

MAY = parse_moment("2023-05-10T10:00")
JULY = parse_moment("2023-07-01T10:00")
MONEY = re.compile(r"\d+\s*元")


def ask(campaign: Campaign, question: str, now: datetime = MAY):
    reply = answer(campaign, question, now)
    assert visible_length(reply.text) <= MAX_CHARS
    return reply


@pytest.mark.parametrize(("now", "says", "avoids"), [
    ("2023-05-01T10:00", ["还没有开始", "2023年5月4日"], ["截止到", "已截止"]),
    ("2023-05-04T00:00", ["现在可以报名", "6月30日"], ["还没有开始"]),
    ("2023-06-30T23:00", ["现在可以报名", "6月30日"], ["已截止"]),
    ("2023-07-01T00:00", ["已截止（截止时间：2023年6月30日）"], ["现在可以报名"]),
])
def test_xiaogan_can_i_still_register(xiaogan: Campaign, now: str, says: list[str],
                                     avoids: list[str]) -> None:
    reply = ask(xiaogan, "现在还能报名吗", parse_moment(now))
    assert reply.kind == ANSWERED
    for text in says:
        assert text in reply.text
    for text in avoids:
        assert text not in reply.text


@pytest.mark.parametrize("question", ["7月13号了还能报不", "13号了还能报吗",
                                      "七月十三日还能报名吗"])
def test_todays_date_in_the_question_is_today(fujian: Campaign, question: str) -> None:
    """The asker's own date is 今天, not a topic: as a date it matched the 报到 clause. After the
    close, "还能报吗" gets where registration stands with the notice's words on late entries."""
    reply = ask(fujian, question, parse_moment("2023-07-13T09:00"))
    assert reply.entry == "late:fact:registration_online", reply.entry
    assert "已截止（截止时间：2023年7月12日 17:00）" in reply.text and "逾期不予补报" in reply.text


@pytest.mark.parametrize(("now", "says"), [
    ("2023-07-09T07:59", "将于2023年7月9日 8:00开始"),
    ("2023-07-09T08:00", "截止到2023年7月12日 17:00"),
    ("2023-07-12T17:00", "截止到2023年7月12日 17:00"),
    ("2023-07-12T17:01", "已截止（截止时间：2023年7月12日 17:00）"),
])
def test_fujian_window_to_the_minute(fujian: Campaign, now: str, says: str) -> None:
    assert says in ask(fujian, "报名截止了吗", parse_moment(now)).text


@pytest.mark.parametrize(("now", "status"), [
    ("2023-07-14T10:00", "尚未开始"), ("2023-07-15T10:00", "已开始"),
])
def test_fujian_results_date_reads_the_clock(fujian: Campaign, now: str, status: str) -> None:
    reply = ask(fujian, "什么时候出录取结果", parse_moment(now))
    assert "7月15日" in reply.text
    assert status in reply.text


def test_answers_cite_the_notice_and_clause(xiaogan: Campaign) -> None:
    reply = ask(xiaogan, "年龄有什么要求")
    assert "35周岁" in reply.text
    assert reply.text.endswith(f"（来源：{xiaogan.citation}二、招录对象）")
    assert reply.source == f"{xiaogan.citation}二、招录对象"
    assert reply.entry == "fact:applicants_age"


@pytest.mark.parametrize(("question", "phones"), [
    ("孝感市第一人民医院电话多少", ["2349370", "13972678808"]),
    ("一医的联系方式", ["2349370"]),
    ("汉川人民医院联系人是谁", ["8299245", "胡老师"]),
    ("安陆普爱医院怎么联系", ["5275623", "鲁老师"]),
])
def test_contacts_of_a_named_base(xiaogan: Campaign, question: str, phones: list[str]) -> None:
    reply = ask(xiaogan, question)
    for phone in phones:
        assert phone in reply.text
    others = {"2349370", "8299245", "5275623"} - set(phones)
    assert not any(other in reply.text for other in others)


@pytest.mark.parametrize(("question", "quota"), [
    ("孝感市第一人民医院招多少人", "10名"), ("孝感一医招几个", "10名"),
    ("汉川市人民医院名额", "6名"), ("孝感一共招多少人", "22名"),
])
def test_quota_of_a_base_or_in_total(xiaogan: Campaign, question: str, quota: str) -> None:
    assert quota in ask(xiaogan, question).text


@pytest.mark.parametrize("question", [
    "明天孝感天气怎么样", "你是机器人吗", "推荐一部电影", "培训期间可以谈恋爱吗",
])
def test_off_topic_gets_contacts_and_no_figure(xiaogan: Campaign, question: str) -> None:
    reply = ask(xiaogan, question)
    assert reply.kind == FALLBACK and reply.unanswered
    assert "2839876" in reply.text and "2327312" in reply.text
    assert not MONEY.search(reply.text)


@pytest.mark.parametrize("question", [
    "补助一个月多少钱", "每月工资到手多少", "生活补贴具体金额是多少",
])
def test_no_amount_in_the_notice_means_no_amount_invented(
        xiaogan: Campaign, fujian: Campaign, question: str) -> None:
    for campaign, phone in ((xiaogan, "2839876"), (fujian, "83574579")):
        reply = ask(campaign, question, MAY if campaign is xiaogan else JULY)
        assert reply.kind == FALLBACK
        assert "没有写明具体金额" in reply.text
        assert phone in reply.text
        assert not MONEY.search(reply.text)


@pytest.mark.parametrize("question", [
    "培训期间管住吗", "基地有没有宿舍", "报名要花钱吗", "报名费怎么交", "培训学费多少",
])
def test_what_the_notices_do_not_say_gets_contacts(
        xiaogan: Campaign, fujian: Campaign, question: str) -> None:
    # Neither notice speaks of housing or fees: no duties of the bases, no insurance
    # contributions (缴费) passed off as an answer.
    for campaign, phone in ((xiaogan, "2839876"), (fujian, "83574579")):
        reply = ask(campaign, question, MAY if campaign is xiaogan else JULY)
        assert reply.kind == FALLBACK and reply.entry in ("silent:housing", "silent:fees")
        assert "通知没有写明" in reply.text and phone in reply.text
        assert "培训基地的职责" not in reply.text and "养老保险" not in reply.text
        assert not MONEY.search(reply.text)


def test_fujian_total_quota_is_not_in_the_notice(fujian: Campaign) -> None:
    reply = ask(fujian, "福建一共招多少人", JULY)
    assert reply.kind == FALLBACK
    assert "招生计划" in reply.text and "83574579" in reply.text
    assert not re.search(r"\d+\s*(人|名)", reply.text)


def test_fallback_gives_consultation_hours(fujian: Campaign) -> None:
    reply = ask(fujian, "住宿怎么安排", JULY)
    assert reply.kind == FALLBACK
    assert "8:30" in reply.text and "0591-83574579" in reply.text


@pytest.mark.parametrize(("plain", "variant"), [
    ("报名时间是什么时候", "報名時間是什麼時候"),
    ("年龄超过35岁能报吗", "年龄超过３５岁能报吗"),
    ("年龄超过35岁能报吗", "年龄超过三十五岁能报吗"),
    ("培训要几年", "培訓要幾年？？"),
    ("报名网址是什么", "请问一下报名网址是什么呢"),
])
def test_variants_reach_the_same_answer(xiaogan: Campaign, plain: str, variant: str) -> None:
    assert ask(xiaogan, variant).entry == ask(xiaogan, plain).entry


@pytest.mark.parametrize(("question", "expected"), [
    ("在哪个网站报名", "https://www.hbwsrc.cn"),
    ("有哪些培训基地", "安陆市普爱医院"),
    ("没录上能调剂吗", "调剂"),
    ("订单定向生怎么报名", "选送"),
])
def test_xiaogan_answers(xiaogan: Campaign, question: str, expected: str) -> None:
    assert expected in ask(xiaogan, question).text


@pytest.mark.parametrize(("question", "expected"), [
    ("要准备哪些材料", "身份证正反面"),
    ("照片多大", "300KB"),
    ("志愿可以填几个", "2个志愿"),
    ("在哪里看招生计划", "填写志愿并上报"),
    ("什么时候报到", "8月31日"),
    ("养老保险有补助吗", "70%"),
    ("网站打不开找谁", "400-888-0052"),
])
def test_fujian_answers(fujian: Campaign, question: str, expected: str) -> None:
    assert expected in ask(fujian, question, JULY).text


def with_facts(campaign: Campaign, *facts: Fact) -> Campaign:
    sections = {**campaign.sections, "life": list(facts)}
    return campaign.model_copy(update={"sections": sections})


def test_answers_are_html_safe(xiaogan: Campaign) -> None:
    campaign = with_facts(xiaogan, Fact(id="canteen", title="食堂<A&B>", clause="九、生活",
                                        text="食堂在<门诊楼>一层 & 二层。", keywords=["食堂"]))
    reply = ask(campaign, "<b>食堂</b>在哪")
    assert "<b>食堂&lt;A&amp;B&gt;</b>" in reply.text
    assert "食堂在&lt;门诊楼&gt;一层 &amp; 二层。" in reply.text
    assert set(re.findall(r"</?([a-z-]+)", reply.text)) <= {"b"}


def test_empty_and_overlong_questions(xiaogan: Campaign) -> None:
    assert answer(xiaogan, "   ", MAY).entry == "input:empty"
    long_one = answer(xiaogan, "报名" * 400, MAY)
    assert long_one.entry == "input:too_long" and not long_one.unanswered
    assert "800" in long_one.text


def test_answer_key_rebuilds_an_answer(xiaogan: Campaign) -> None:
    reply = answer_key(xiaogan, "quota:base:hanchuan", MAY)
    assert reply is not None and "6名" in reply.text and reply.kind == ANSWERED
    assert answer_key(xiaogan, "fact:no_such_fact", MAY) is None
    assert answer_key(xiaogan, "nonsense", MAY) is None


def test_two_close_answers_are_offered_as_a_choice(xiaogan: Campaign) -> None:
    campaign = with_facts(
        xiaogan,
        Fact(id="canteen", title="食堂", text="培训基地设有职工食堂。", clause="九、生活",
             keywords=["吃饭"]),
        Fact(id="meal_allowance", title="伙食补助", text="伙食补助随生活补助发放。",
             clause="九、生活", keywords=["吃饭"]))
    reply = ask(campaign, "吃饭")
    assert reply.kind == AMBIGUOUS
    assert {key for _label, key in reply.alternatives} == {"fact:canteen", "fact:meal_allowance"}
    assert "食堂" in reply.text and "伙食补助" in reply.text
    chosen = answer_key(campaign, "fact:canteen", MAY)
    assert chosen is not None and "职工食堂" in chosen.text


def test_local_numbers_come_with_the_area_code(xiaogan: Campaign, fujian: Campaign) -> None:
    # The Xiaogan notice prints 2839876 without 0712; the campaign's phone_note adds it.
    from content.sections import render_section

    for question in ("联系电话是多少", "汉川市人民医院电话", "明天孝感天气怎么样"):
        assert "0712" in ask(xiaogan, question).text
    assert "0712" in render_section(xiaogan, "contacts", MAY)
    assert fujian.phone_note is None
    assert "区号" not in ask(fujian, "联系电话是多少", JULY).text


def test_a_near_miss_is_given_as_a_guess_with_the_contacts(xiaogan: Campaign) -> None:
    reply = ask(xiaogan, "学员能拿到跟住院医一样的钱吗")
    assert reply.kind == FALLBACK and reply.unanswered  # logged for the content authors
    assert "不确定" in reply.text and "住院医师待遇" in reply.text and "2839876" in reply.text
    assert reply.entry == "fact:support_pay"


def test_a_topic_the_notice_leaves_out_is_not_answered_by_another(fujian: Campaign) -> None:
    """Fujian's notice sets no age limit: the age question says so, it does not drift to the
    next-best clause."""
    reply = ask(fujian, "年纪大了是不是就报不了了", parse_moment("2023-07-10T10:00"))
    assert reply.kind == FALLBACK and reply.entry == "silent:age"
    assert "通知未规定年龄上限" in reply.text and "83574579" in reply.text


def test_a_when_question_about_an_undated_event_says_the_notice_gives_no_date(
        xiaogan: Campaign) -> None:
    reply = ask(xiaogan, "被录上以后哪天去医院报道")
    assert reply.kind == FALLBACK and reply.entry.startswith("undated:report_in:")
    # ... and what it does say of the step: the bases arrange 公示报到, ask them.
    assert "通知没有写明报到的具体时间" in reply.text and "公示报到" in reply.text, reply.text


def test_a_clause_that_only_points_elsewhere_comes_with_the_contacts(xiaogan: Campaign) -> None:
    reply = ask(xiaogan, "培训的时候社保由谁来交")
    assert reply.kind == FALLBACK and reply.entry == "fact:support_other"
    assert "没有写明具体规定" in reply.text and "培训协议执行" in reply.text
    assert "2839876" in reply.text


def test_a_frame_shared_with_a_silent_topic_does_not_silence_the_answer(fujian: Campaign) -> None:
    """能不能报名 is also how 助理医师能不能报名 asks; Fujian says nothing of 助理医师, but this
    question is about the window, not about that."""
    reply = ask(fujian, "目前能不能报名了", parse_moment("2023-07-08T20:00"))
    assert reply.entry == "window" and "还没有开始" in reply.text and "7月9日" in reply.text


@pytest.mark.parametrize(("question", "entry"), [
    ("结业以后是事业编制吗", "silent:establishment"), ("培训完能入编吗", "silent:establishment"),
    ("户籍不在本地可以报吗", "silent:residence"), ("外地户口的能参加培训不", "silent:residence"),
])
def test_establishment_and_residence_are_not_in_either_notice(
        xiaogan: Campaign, fujian: Campaign, question: str, entry: str) -> None:
    """Asked in every recruitment group, stated by neither notice: said so, with whom to ask,
    instead of the next clause that shares a word (培训合格以后, 招收对象)."""
    for campaign, phone in ((xiaogan, "2839876"), (fujian, "83574579")):
        reply = ask(campaign, question, MAY if campaign is xiaogan else JULY)
        assert reply.kind == FALLBACK and reply.entry == entry
        assert "没有写明" in reply.text and phone in reply.text


def test_giving_up_a_place(xiaogan: Campaign, fujian: Campaign) -> None:
    """Fujian states what not reporting costs (the next year's eligibility); Xiaogan does not."""
    reply = ask(fujian, "录取了我想放弃可以吗", JULY)
    assert reply.kind == ANSWERED and "下一年度" in reply.text
    reply = ask(xiaogan, "录取了我想放弃可以吗", MAY)
    assert reply.kind == FALLBACK and reply.entry == "silent:no_show" and "2839876" in reply.text


@pytest.mark.parametrize(("now", "says"), [
    ("2023-06-28T22:45", "截止到2023年6月30日（还有2天）"),
    ("2023-06-29T09:00", "截止到2023年6月30日（明天截止）"),
    ("2023-06-30T21:00", "截止到2023年6月30日（今天截止）"),
])
def test_the_days_left_are_counted(xiaogan: Campaign, now: str, says: str) -> None:
    for question in ("还剩几天截止报名啊", "今天是最后一天吗"):
        reply = ask(xiaogan, question, parse_moment(now))
        assert reply.entry == "window" and says in reply.text, (question, reply.text)


@pytest.mark.parametrize(("now", "says"), [
    ("2023-06-28T22:45", "现在可以报名"), ("2023-07-10T20:00", "报名已截止"),
])
def test_a_late_entry_the_notice_does_not_rule_on(xiaogan: Campaign, now: str,
                                                 says: str) -> None:
    """Xiaogan says nothing of late entries: where registration stands, and that the notice
    does not say, with whom to ask; never "不能补报"."""
    reply = ask(xiaogan, "错过报名了 还有补报的机会吗", parse_moment(now))
    assert says in reply.text and "通知没有写明报名截止后能否补报" in reply.text
    assert "2839876" in reply.text and reply.kind == FALLBACK


def test_a_late_entry_the_notice_refuses(fujian: Campaign) -> None:
    reply = ask(fujian, "我忘报了还能补吗", parse_moment("2023-07-14T09:00"))
    assert "逾期不予补报" in reply.text and "截止时间：2023年7月12日 17:00" in reply.text
    assert reply.kind == ANSWERED


def test_one_clause_for_two_parts_keeps_the_caveat(xiaogan: Campaign) -> None:
    """"有工资吗 一个月多少钱": both parts lead to the 待遇 clause; the reply says the notice gives
    no amount, as the second part alone would."""
    reply = ask(xiaogan, "培训期间有工资吗 一个月多少钱")
    assert "没有写明具体金额" in reply.text and "绩效补助" in reply.text


def test_a_named_topic_beats_a_matching_frame(fujian: Campaign) -> None:
    """"最晚几号要报到" shares 截止…什么时候 with the registration window but names 报到."""
    reply = ask(fujian, "最晚几号要报到", parse_moment("2023-07-16T10:30"))
    assert "8月31日" in reply.text and not reply.text.startswith("<b>报名时间"), reply.text


def test_asked_for_the_address_gets_it(xiaogan: Campaign, fujian: Campaign) -> None:
    """"谁有报名网址 发一下" is answered with the address, not a clause naming the site without
    it; a question that names the site, or says it does not open, is asking something else."""
    reply = ask(xiaogan, "谁有报名网址 发一下")
    assert "hbwsrc.cn" in reply.text and reply.entry == "channel", reply.text
    reply = ask(xiaogan, "湖北卫生人才网上入口在哪", parse_moment("2023-07-19T17:45"))
    assert "招录专区" in reply.text, reply.text
    reply = ask(fujian, "fj zlqk网站打不开 help", parse_moment("2023-07-12T11:35"))
    assert reply.entry != "channel" and "400" in reply.text, reply.text


@pytest.mark.parametrize("question", ["我想去的基地满了咋办", "一医报满了 还能去别的吗"])
def test_a_full_base_is_the_adjustment_clause(xiaogan: Campaign, question: str) -> None:
    reply = ask(xiaogan, question)
    assert "调剂" in reply.text and "未招满" in reply.text, reply.text


def test_a_quoted_share_finds_its_clause(xiaogan: Campaign) -> None:
    """"那20%是干嘛用的": the clause that gives 20% as written, though digits are not matched."""
    reply = ask(xiaogan, "那20%是干嘛用的")
    assert "教学实践" in reply.text and reply.kind == ANSWERED, reply.text
