"""What the notice leaves out, and clauses that share no words with the question (issue 12 §4),
through the real Dispatcher: a topic asked about in every recruitment group (脱产, 服务期, 违约,
改志愿, 审核没通过) is said to be left out, with whom to ask, instead of the nearest clause; the
notice's clause answers when it has one."""

from __future__ import annotations

import pytest

from bot.clock import parse_moment
from content.qa_reply import visible_length
from tests.harness import Harness

FUJIAN_NOW = parse_moment("2023-07-10T10:00")
SILENT = "通知没有写明"


async def _ask(harness: Harness, slug: str, question: str) -> str:
    await harness.send(f"/start {slug}")
    if slug.startswith("fujian"):
        harness.clock.set(FUJIAN_NOW)
    text = (await harness.send(question)).text
    assert visible_length(text) <= 600
    return text


@pytest.mark.parametrize(("slug", "question", "topic", "phone", "nearest"), [
    ("xiaogan-2023", "孝感这个培训是全脱产的吗", "脱产", "2839876", "3+2"),
    ("xiaogan-2023", "培训完要回乡镇服务几年", "服务期", "2839876", "政策背景"),
    ("fujian-2023", "培训完要在基层干几年 不干要赔钱不", "服务期", "83574579", "单位人"),
    ("fujian-2023", "报完名还能改志愿吗", "修改志愿", "83574579", "仅作为参考"),
    ("fujian-2023", "审核没通过咋办", "审核未通过", "83574579", "结业考核"),
    ("fujian-2023", "培训结束给安排工作吗", "就业安排", "83574579", "截止"),
])
async def test_a_topic_the_notice_leaves_out_is_said_to_be_left_out(
        harness: Harness, slug: str, question: str, topic: str, phone: str,
        nearest: str) -> None:
    text = await _ask(harness, slug, question)
    assert SILENT in text and topic in text, text
    assert phone in text  # whom to ask instead
    assert nearest not in text  # not the nearest clause given as if it answered


async def test_the_notice_s_own_clause_answers_when_it_has_one(harness: Harness) -> None:
    text = await _ask(harness, "fujian-2023", "是全脱产的吗 能边上班边培训吗")
    assert "全脱产培训" in text and SILENT not in text
    text = await _ask(harness, "fujian-2023", "手机报的信息错了能改吗")
    assert "不予补报或更改信息" in text and SILENT not in text


async def test_several_pieces_none_answered_say_the_left_out_topics(harness: Harness) -> None:
    """No piece is answered: the first plainly on a topic the notice leaves out says so, with
    whom to ask, the others are named as left out too, and nothing is guessed."""
    text = await _ask(harness, "xiaogan-2023", "培训完要回乡镇服务几年 违约要赔钱吗")
    assert SILENT in text and "服务期" in text and "2839876" in text, text
    assert "不确定" not in text and "政策背景" not in text
    text = await _ask(harness, "xiaogan-2023", "培训完包分配吗 违约要赔钱吗")
    assert SILENT in text and "就业安排" in text, text
    assert "通知没有写明：“违约要赔钱吗”" in text
    assert text.split("\n")[-1].startswith("（来源：")


@pytest.mark.parametrize(("question", "clause"), [
    ("补助的钱基地会不会扣掉一部分", "专款专用"),
    ("通知里没说到的事情按啥来", "培训协议"),
    ("培训经费医院能挪去别的地方用吗", "专款专用"),
    # 预报名 is its own word, not 报名: the notice's answer on what follows it
    ("预报名是啥", "资格审核"),
])
async def test_a_clause_in_the_notice_s_words_answers_a_colloquial_question(
        harness: Harness, question: str, clause: str) -> None:
    text = await _ask(harness, "xiaogan-2023", question)
    assert clause in text, text


@pytest.mark.parametrize(("slug", "question", "channel"), [
    ("fujian-2023", "报名要去现场吗", "fjzlqk.wsglw.net"),
    ("xiaogan-2023", "是学校统一报还是自己网上报", "湖北卫生人才网"),
])
async def test_asking_whether_to_apply_in_person_gets_the_channel(
        harness: Harness, slug: str, question: str, channel: str) -> None:
    text = await _ask(harness, slug, question)
    assert channel in text, text
