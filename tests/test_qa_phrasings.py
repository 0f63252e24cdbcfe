"""Ways of asking seen in fresh question sets, through the real Dispatcher (issue 12 §4).

Each case: the campaign, the moment, the question, what the reply must say and what it must
not; each failed on the code before the change it stands for (see the git log)."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from bot.clock import parse_moment
from tests.harness import Harness


class Case(NamedTuple):
    slug: str
    moment: str
    question: str
    said: tuple[str, ...]
    not_said: tuple[str, ...] = ()


XG, FJ = "xiaogan-2023", "fujian-2023"

CASES = {
    # Where the list is published, not the clause naming the training centre.
    "bases without a list": Case(FJ, "2023-07-09T11:00", "有哪些培训基地 每个招几个",
                                 ("招生计划",)),
    "choices as bases": Case(FJ, "2023-07-09T09:15", "能填几个基地 填三个行不行", ("2个",)),
    "results during the review": Case(FJ, "2023-07-13T10:00", "审核过了没 去哪看结果",
                                      ("7月15日",)),
    # What to enter (准确无误), not whom to call.
    "the phone one leaves": Case(FJ, "2023-07-12T09:50", "报名时留的手机号有啥讲究", ("准确",)),
    # Not the quota (总共 as in 总共有多少名额).
    "how long in all": Case(XG, "2023-06-09T17:00", "培训总共要多久，两年还是三年", ("2年",),
                            ("招录10名",)),
    "the state's money": Case(XG, "2023-06-05T14:00", "国家给的那个补助是咋分的",
                              ("80%", "20%")),
    # 读完本科 says the level; 专升本 alone does not (on the way, or done). No clause beside the
    # "no" that reads as a "yes" (the one on students from anywhere: 可以。…).
    "bachelor by upgrade": Case(XG, "2023-05-11T18:40",
                                "女儿学临床的，专升本读完本科了，还能参加这个培训吗",
                                ("不能报名", "本科"), ("可以。",)),
    "upgrade alone": Case(XG, "2023-05-11T18:40", "我是专升本的 能报吗", (), ("符合这几项要求",)),
    # The rules' answer for 专科 and 临床医学, and the clause on students from anywhere.
    "another province, named": Case(XG, "2023-05-07T22:00",
                                    "我是河南的临床医学专科生，外省的能报孝感的助理全科吗",
                                    ("可以报名", "全国")),
    "another province, its city": Case(XG, "2023-05-07T22:00",
                                       "我是湖南的大专生 在长沙读的临床 能报孝感的吗",
                                       ("可以报名", "全国")),
    # After the window: that registration has closed, first.
    "pre-register after the window": Case(XG, "2023-07-03T09:20",
                                          "我才看到消息，现在网上还能预报名吗",
                                          ("报名已截止", "6月30日")),
    "upload after the window": Case(XG, "2023-07-03T09:20",
                                    "我预报名了但材料没传完，现在还能补传吗",
                                    ("报名已截止", "6月30日")),
    "in time, nothing else matched": Case(XG, "2023-07-03T09:20",
                                          "还来得及不 刚考完试才看到这个通知",
                                          ("报名已截止", "6月30日")),
    "still recruiting": Case(XG, "2023-08-15T15:00", "孝感今年的3+2还在招吗", ("报名已截止",)),
    # The asker's story drowned the question: its last clause alone.
    "a story before the question": Case(FJ, "2023-07-09T19:30",
                                        "我女儿在泉州医专读临床今年毕业，她要去哪里报名",
                                        ("fjzlqk.wsglw.net",)),
    "not quite true": Case(FJ, "2023-07-12T12:00", "报名材料有一项不太真实，查出来会怎样",
                           ("取消当年录取资格",)),
    "a no-show, asked by the base": Case(FJ, "2023-07-12T10:45",
                                         "录取的学员8月底没来报到，基地这边怎么处理",
                                         ("取消录取资格",)),
    "placed far away": Case(FJ, "2023-07-09T20:40",
                            "孩子录取以后去哪个地方培训是怎么定的，会不会分得很远", ("地域",)),
    "a disciplinary record": Case(XG, "2023-06-05T21:00",
                                  "我以前在学校背过一个处分，这个会不会影响报名", ("遵纪守法",)),
    "bases compared": Case(XG, "2023-06-10T21:40", "孝感一院和汉川人民医院哪个名额多一些",
                           ("招录10名", "招录6名"), ("合计",)),
    "a base left out of a sum": Case(XG, "2023-06-10T21:40",
                                     "女儿要是不想在孝感一院，汉川和安陆这两家一共能招多少人",
                                     ("合计招录12名",), ("第一人民医院",)),
    "a rumoured deadline": Case(XG, "2023-06-25T22:40", "听别人说孝感报名到7月底，是真的吗",
                                ("6月30日",)),
    # The scope already includes 全科: not among those the notice recruits.
    "still need to attend": Case(XG, "2023-06-02T22:45",
                                 "助理医师执业范围已经加了全科的，还用参加吗",
                                 ("不能报名", "没有加注")),
    "still need to come": Case(XG, "2023-06-02T22:45",
                               "我临床专科 执业助理已经加注全科了 还要来培训吗",
                               ("不能报名", "没有加注")),
    # Two clauses begin with 各县（市、区）卫健局: publicity (三) and the leading group (六).
    "a body's duties": Case(XG, "2023-05-08T09:10",
                            "我是县卫健局的，这次助理全科招录我们局里要做哪些事",
                            ("招录宣传", "领导小组")),
    "a body's duties, short": Case(XG, "2023-05-08T09:10", "县卫健局在这个事里负责干啥",
                                   ("招录宣传", "领导小组")),
    "a body's duties, nothing sure": Case(XG, "2023-05-12T14:45",
                                          "作为培训基地，招录这块我们要走完哪些程序",
                                          ("资格审核", "考试录取"), ("不确定",)),
    # 这个3+2 names the programme: whom it recruits, not how long it lasts.
    "the programme by its code": Case(FJ, "2023-07-08T10:00", "福建这个3+2招哪些人",
                                      ("临床医学", "高职高专")),
    "the code asked about": Case(FJ, "2023-07-08T10:00", "3+2是什么意思", ("2年",)),
    # What happens if it fills up (调剂), not how many places are left.
    "a full first choice": Case(XG, "2023-05-23T20:00", "第一志愿的医院满了还有机会吗", ("调剂",)),
    "what if it fills up": Case(XG, "2023-05-23T20:00",
                                "孩子报名选了孝感一院，万一一院人招满了是不是就白报了", ("调剂",),
                                ("剩余名额",)),
    # Both the event and the clause say 汇总表 and 设区市; only the clause says 省属.
    "a word one clause says": Case(FJ, "2023-07-10T14:15",
                                   "我们是省属培训基地，汇总表也要先报设区市吗", ("直接报送",)),
    # The story's 临床医学 (a piece of 医学院) does not rule the college out.
    "the college's line after a story": Case(
        XG, "2023-06-27T11:30",
        "我刚从湖北职业技术学院临床医学专业毕业，辅导员说学校医学院会对接这个事，学院联系人电话多少",
        ("2464255",)),
    "may apply, in dialect": Case(XG, "2023-05-22T22:30",
                                  "我今年临床医学本科毕业，还没找到工作，家就在孝感，想参加这个3+2培训中不中",
                                  ("不能报名", "本科")),
    # 被录取了 tells the asker's state; the question is about not reporting in.
    "admitted, late to report": Case(FJ, "2023-07-18T16:30", "被录取了但没按时去报到会怎么处理",
                                     ("取消录取资格",)),
    "in time tomorrow afternoon": Case(FJ, "2023-07-11T22:40",
                                       "我明天中午在医院值班，估计下午三点多才下班，到时候再报名还赶得上不",
                                       ("17:00",)),
    # No list in the notice: bases it has assessed (评审认定), and where their plans are.
    "what the bases are": Case(FJ, "2023-07-09T19:25", "基地是啥医院", ("评审认定",)),
    # Registration has closed; the 单位人 round is in August.
    "a month to come": Case(FJ, "2023-07-20T19:30", "没赶上报名，8月份还有没有机会",
                            ("报名已截止", "单位人")),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_the_reply_says_what_the_notice_says(harness: Harness, case: Case) -> None:
    harness.clock.set(parse_moment(case.moment))
    await harness.send(f"/start {case.slug}")
    reply = await harness.send(case.question)
    for words in case.said:
        assert words in reply.text, reply.text
    for words in case.not_said:
        assert words not in reply.text, reply.text


async def test_another_line_when_the_number_quoted_does_not_answer(harness: Harness) -> None:
    harness.clock.set(parse_moment("2023-06-13T15:00"))
    await harness.send(f"/start {XG}")
    reply = await harness.send("打2839876一直没人接 还能打哪个")
    # The other person of the same office first, not the number quoted again.
    assert "2327312" in reply.text, reply.text
    assert "2839876" not in reply.text
    reply = await harness.send("2839876是谁的电话")
    assert "2839876" in reply.text and "沈泉" in reply.text, reply.text
