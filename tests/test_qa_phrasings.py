"""Common ways of asking, through the real Dispatcher: the bases, the choices, the results,
and another line when the number quoted does not answer (issue 12 §4)."""

from __future__ import annotations

import pytest

from bot.clock import parse_moment
from tests.harness import Harness


async def _open(harness: Harness, slug: str, moment: str) -> None:
    harness.clock.set(parse_moment(moment))
    await harness.send(f"/start {slug}")


async def test_which_bases_in_a_notice_without_a_list(harness: Harness) -> None:
    await _open(harness, "fujian-2023", "2023-07-09T11:00")
    reply = await harness.send("有哪些培训基地 每个招几个")
    # Where the list is published, not the clause naming the training centre.
    assert "招生计划" in reply.text, reply.text


async def test_how_many_bases_one_may_fill_in(harness: Harness) -> None:
    await _open(harness, "fujian-2023", "2023-07-09T09:15")
    reply = await harness.send("能填几个基地 填三个行不行")
    assert "2个" in reply.text, reply.text


async def test_results_asked_while_the_review_runs(harness: Harness) -> None:
    await _open(harness, "fujian-2023", "2023-07-13T10:00")
    reply = await harness.send("审核过了没 去哪看结果")
    assert "7月15日" in reply.text, reply.text


async def test_another_line_when_the_number_quoted_does_not_answer(harness: Harness) -> None:
    await _open(harness, "xiaogan-2023", "2023-06-13T15:00")
    reply = await harness.send("打2839876一直没人接 还能打哪个")
    # The other person of the same office first, not the number quoted again.
    assert "2327312" in reply.text, reply.text
    assert "2839876" not in reply.text
    reply = await harness.send("2839876是谁的电话")
    assert "2839876" in reply.text and "沈泉" in reply.text, reply.text


async def test_the_phone_number_one_leaves_on_the_form(harness: Harness) -> None:
    await _open(harness, "fujian-2023", "2023-07-12T09:50")
    reply = await harness.send("报名时留的手机号有啥讲究")
    # What to enter (准确无误), not whom to call.
    assert "准确" in reply.text, reply.text


async def test_how_long_asked_with_a_total(harness: Harness) -> None:
    await _open(harness, "xiaogan-2023", "2023-06-09T17:00")
    reply = await harness.send("培训总共要多久，两年还是三年")
    assert "2年" in reply.text, reply.text
    assert "招录10名" not in reply.text  # not the quota (总共 of 总共有多少名额)


async def test_the_state_is_the_central_budget(harness: Harness) -> None:
    await _open(harness, "xiaogan-2023", "2023-06-05T14:00")
    reply = await harness.send("国家给的那个补助是咋分的")
    assert "80%" in reply.text and "20%" in reply.text, reply.text


async def test_a_bachelor_by_upgrade_is_a_bachelor(harness: Harness) -> None:
    await _open(harness, "xiaogan-2023", "2023-05-11T18:40")
    reply = await harness.send("女儿学临床的，专升本读完本科了，还能参加这个培训吗")
    # 读完本科 says the level; 专升本 alone does not (on the way, or done).
    assert "不能报名" in reply.text and "本科" in reply.text, reply.text
    reply = await harness.send("我是专升本的 能报吗")
    assert "符合这几项要求" not in reply.text, reply.text


@pytest.mark.parametrize("question", [
    "我是河南的临床医学专科生，外省的能报孝感的助理全科吗",
    "我是湖南的大专生 在长沙读的临床 能报孝感的吗",
])
async def test_another_province_said_beside_the_rules_answer(harness: Harness,
                                                             question: str) -> None:
    await _open(harness, "xiaogan-2023", "2023-05-07T22:00")
    reply = await harness.send(question)
    # The rules' answer for 专科 and 临床医学, and the clause on students from anywhere.
    assert "可以报名" in reply.text and "全国" in reply.text, reply.text


@pytest.mark.parametrize("question", [
    "我才看到消息，现在网上还能预报名吗",
    "我预报名了但材料没传完，现在还能补传吗",
    "还来得及不 刚考完试才看到这个通知",
    "孝感今年的3+2还在招吗",
])
async def test_still_in_time_asked_after_the_window(harness: Harness, question: str) -> None:
    await _open(harness, "xiaogan-2023", "2023-07-03T09:20")
    reply = await harness.send(question)
    assert "报名已截止" in reply.text and "6月30日" in reply.text, reply.text


async def test_a_story_told_before_the_question(harness: Harness) -> None:
    await _open(harness, "fujian-2023", "2023-07-09T19:30")
    reply = await harness.send("我女儿在泉州医专读临床今年毕业，她要去哪里报名")
    assert "fjzlqk.wsglw.net" in reply.text, reply.text


@pytest.mark.parametrize(("slug", "moment", "question", "said"), [
    ("fujian-2023", "2023-07-12T12:00", "报名材料有一项不太真实，查出来会怎样",
     "取消当年录取资格"),
    ("fujian-2023", "2023-07-12T10:45", "录取的学员8月底没来报到，基地这边怎么处理",
     "取消录取资格"),
    ("fujian-2023", "2023-07-09T20:40", "孩子录取以后去哪个地方培训是怎么定的，会不会分得很远",
     "地域"),
    ("xiaogan-2023", "2023-06-05T21:00", "我以前在学校背过一个处分，这个会不会影响报名",
     "遵纪守法"),
])
async def test_common_worries_find_their_clause(harness: Harness, slug: str, moment: str,
                                                question: str, said: str) -> None:
    await _open(harness, slug, moment)
    reply = await harness.send(question)
    assert said in reply.text, reply.text


async def test_bases_compared_or_one_left_out(harness: Harness) -> None:
    await _open(harness, "xiaogan-2023", "2023-06-10T21:40")
    reply = await harness.send("孝感一院和汉川人民医院哪个名额多一些")
    assert "招录10名" in reply.text and "招录6名" in reply.text, reply.text
    assert "合计" not in reply.text
    reply = await harness.send("女儿要是不想在孝感一院，汉川和安陆这两家一共能招多少人")
    assert "合计招录12名" in reply.text and "第一人民医院" not in reply.text, reply.text


async def test_a_rumoured_deadline_is_checked_against_the_window(harness: Harness) -> None:
    await _open(harness, "xiaogan-2023", "2023-06-25T22:40")
    reply = await harness.send("听别人说孝感报名到7月底，是真的吗")
    assert "6月30日" in reply.text, reply.text


@pytest.mark.parametrize("question", [
    "助理医师执业范围已经加了全科的，还用参加吗",
    "我临床专科 执业助理已经加注全科了 还要来培训吗",
])
async def test_still_need_to_attend_is_a_personal_question(harness: Harness,
                                                           question: str) -> None:
    await _open(harness, "xiaogan-2023", "2023-06-02T22:45")
    reply = await harness.send(question)
    # The scope already includes 全科: not among those the notice recruits.
    assert "不能报名" in reply.text and "没有加注" in reply.text, reply.text


@pytest.mark.parametrize("question", [
    "我是县卫健局的，这次助理全科招录我们局里要做哪些事",
    "县卫健局在这个事里负责干啥",
])
async def test_a_body_asking_its_duties_gets_each_clause_on_them(harness: Harness,
                                                                question: str) -> None:
    await _open(harness, "xiaogan-2023", "2023-05-08T09:10")
    reply = await harness.send(question)
    # Two clauses begin with 各县（市、区）卫健局: publicity (三) and the leading group (六).
    assert "招录宣传" in reply.text and "领导小组" in reply.text, reply.text


async def test_the_programme_called_by_its_code(harness: Harness) -> None:
    await _open(harness, "fujian-2023", "2023-07-08T10:00")
    # 这个3+2 names the programme; the question is whom it recruits, not how long it lasts.
    reply = await harness.send("福建这个3+2招哪些人")
    assert "临床医学" in reply.text and "高职高专" in reply.text, reply.text
    reply = await harness.send("3+2是什么意思")  # asked about, the code stays the topic
    assert "2年" in reply.text, reply.text


@pytest.mark.parametrize("question", [
    "第一志愿的医院满了还有机会吗",
    "孩子报名选了孝感一院，万一一院人招满了是不是就白报了",
])
async def test_a_base_filling_up_is_the_adjustment_clause(harness: Harness,
                                                          question: str) -> None:
    await _open(harness, "xiaogan-2023", "2023-05-23T20:00")
    reply = await harness.send(question)
    # What happens if it fills up (调剂), not how many places are left.
    assert "调剂" in reply.text and "剩余名额" not in reply.text, reply.text


async def test_a_word_only_one_clause_says_decides_between_close_ones(harness: Harness) -> None:
    await _open(harness, "fujian-2023", "2023-07-10T14:15")
    # Both the event and the clause say 汇总表 and 设区市; only the clause says 省属.
    reply = await harness.send("我们是省属培训基地，汇总表也要先报设区市吗")
    assert "直接报送" in reply.text, reply.text


async def test_a_body_named_with_its_duties_when_nothing_else_is_sure(harness: Harness) -> None:
    await _open(harness, "xiaogan-2023", "2023-05-12T14:45")
    reply = await harness.send("作为培训基地，招录这块我们要走完哪些程序")
    assert "资格审核" in reply.text and "考试录取" in reply.text, reply.text
    assert "不确定" not in reply.text  # not a guess at another clause


async def test_a_month_to_come_finds_what_happens_in_it(harness: Harness) -> None:
    await _open(harness, "fujian-2023", "2023-07-20T19:30")
    reply = await harness.send("没赶上报名，8月份还有没有机会")
    # Registration has closed; the 单位人 round is in August.
    assert "报名已截止" in reply.text and "单位人" in reply.text, reply.text
