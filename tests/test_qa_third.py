"""A notice written by someone else (tests/fixtures/qa-third): good answers with no code change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.clock import parse_moment
from content.catalogue import load_catalogue
from content.qa import answer
from content.qa_reply import ANSWERED, FALLBACK
from content.schema import Campaign

THIRD = Path(__file__).parent / "fixtures" / "qa-third"
DURING = parse_moment("2024-06-10T10:00")


@pytest.fixture(scope="module")
def yangli() -> Campaign:
    campaign = load_catalogue(THIRD).get("yangli-2024")
    assert campaign is not None
    return campaign


@pytest.mark.parametrize(("now", "says"), [
    ("2024-05-30T10:00", "将于2024年6月1日 9:00开始"),
    ("2024-06-10T10:00", "截止到2024年6月20日 17:00"),
    ("2024-06-21T10:00", "已截止（截止时间：2024年6月20日 17:00）"),
])
def test_window(yangli: Campaign, now: str, says: str) -> None:
    assert says in answer(yangli, "现在还能报名吗", parse_moment(now)).text


@pytest.mark.parametrize(("question", "expected", "not_expected"), [
    ("二院招几个人", "4名", "8名"),
    ("样例市中心医院名额多少", "8名", "4名"),
    ("一共招多少人", "12", None),
    ("中心医院电话多少", "0000-7654321", "0000-1112223"),
    ("要交哪些材料", "毕业证书", None),
    ("照片什么格式", "jpg/pdf", None),
    ("培训多久", "2年", None),
    ("年龄限制", "30周岁", None),
    ("本科能报吗", "不予招收", None),
    ("有执业医师证还能报吗", "不予招收", None),
    ("志愿能报几个", "2个志愿", None),
    ("报名网址", "rc.yangli.example.cn", None),
    ("包住宿吗", "集体宿舍", None),
    ("哪天报到", "2024年8月20日", None),
])
def test_answers(yangli: Campaign, question: str, expected: str,
                 not_expected: str | None) -> None:
    reply = answer(yangli, question, DURING)
    assert reply.kind == ANSWERED, reply.text
    assert expected in reply.text
    assert not_expected is None or not_expected not in reply.text
    assert reply.text.endswith("）") and yangli.citation in reply.text


def test_a_stated_amount_is_given(yangli: Campaign) -> None:
    reply = answer(yangli, "补助每个月多少钱", DURING)
    assert reply.kind == ANSWERED
    assert "3000元" in reply.text


@pytest.mark.parametrize(("now", "status"), [
    ("2024-07-01T10:00", "尚未开始"), ("2024-07-06T10:00", "已开始"),
])
def test_results_date_reads_the_clock(yangli: Campaign, now: str, status: str) -> None:
    reply = answer(yangli, "什么时候公布录取结果", parse_moment(now))
    assert "2024年7月5日" in reply.text and status in reply.text


def test_off_topic_falls_back_to_its_contacts(yangli: Campaign) -> None:
    reply = answer(yangli, "明天下雨吗", DURING)
    assert reply.kind == FALLBACK
    assert "0000-1234567" in reply.text and "工作日9:00-17:00" in reply.text
    assert not re.search(r"\d+\s*元", reply.text)
