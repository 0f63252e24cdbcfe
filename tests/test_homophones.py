"""Slips of a pinyin input method (社宝 for 社保), through the real Dispatcher.

A pair of characters the bot does not know, one of whose characters sounds like that of a
topic's word, is that word: for every campaign alike (the fixture notices too), with no word of
any notice in the code. Where the slip is not certain (a pair the bot lacks is as often a word it
does not know), the question is read again only when its answer was no sure one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import parse_moment
from content.homophones import Homophones, sounds
from tests.harness import Harness

NOTICES = Path(__file__).parent / "fixtures" / "notices"


@pytest.fixture
async def hubei(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    h = await Harness.create(db_url, now=parse_moment("2015-05-05T10:00"),
                             var_dir=tmp_path / "var", content_dir=NOTICES)
    await h.send("/start hubei-2015")
    yield h
    await h.close()


async def _fujian(harness: Harness) -> None:
    harness.clock.set(parse_moment("2023-07-10T10:00"))
    await harness.send("/start fujian-2023")


@pytest.mark.parametrize(("question", "said", "not_said"), [
    # 社宝 -> 社保: the social insurance clause, not "the notice does not say".
    ("社宝在哪交", "属地", "没有写明"),
    # 定象生 -> 定向生: graduates with a placement are 单位人, not this round's 社会人.
    ("定象生能报社会人吗", "单位人", None),
])
async def test_a_slip_in_a_fujian_question_is_put_right(harness: Harness, question: str,
                                                        said: str, not_said: str | None) -> None:
    await _fujian(harness)
    reply = await harness.send(question)
    assert said in reply.text, reply.text
    if not_said:
        assert not_said not in reply.text


async def test_a_slip_in_a_xiaogan_question_is_put_right(harness: Harness) -> None:
    harness.clock.set(parse_moment("2023-05-20T10:00"))
    await harness.send("/start xiaogan-2023")
    # 报民 -> 报名: how to apply (the website), not only the base's quota.
    reply = await harness.send("安陆普爱医院怎么报民")
    assert "湖北卫生人才网" in reply.text, reply.text
    # 主力 -> 助理: a licence already held, read by the eligibility rules.
    reply = await harness.send("已经考过执业主力医师了 还能报这个培训吗")
    assert "执业助理医师" in reply.text, reply.text
    assert "没有写明" not in reply.text


async def test_a_notice_the_code_has_never_seen_benefits(hubei: Harness) -> None:
    # 报明时间 on the Hubei fixture notice: its window, not the offer confirmation's date.
    reply = await hubei.send("报明时间是啥时候")
    assert "5月31日" in reply.text, reply.text
    assert "现在可以报名" in reply.text


async def test_a_sure_answer_is_not_read_again(harness: Harness) -> None:
    await _fujian(harness)
    # 一共 is no pair of the notice's text, and 医 sounds like 一: still no slip, as the
    # answer without any change is a sure one (培训年限).
    reply = await harness.send("培训一共要几年")
    assert "2年" in reply.text, reply.text


def test_known_pairs_and_their_neighbours_are_not_slips() -> None:
    known = Homophones(["福建省 报名 财政补助 社会保险 培训基地 政审"],
                       ["社保", "报名", "兼报", "政审", "基地"], frame="吗的")
    assert known.repair("社宝在哪交") == "社保在哪交"
    assert known.repair("培训基低在哪") == "培训基地在哪"  # 训基地 is a known run
    # 建 is known beside 福: 建报 is no slip of 兼报.
    assert known.repair("福建报名费多少") == "福建报名费多少"
    # 政 is known beside 财 and 财政审 is no known run: 政剩 is no slip of 政审.
    assert known.repair("财政剩下的钱") == "财政剩下的钱"
    # A pair with a character that frames a question is never a slip.
    assert known.repair("报名吗") == "报名吗"


def test_one_confusion_at_a_time() -> None:
    # 剩 (sheng) and 审 (shen): a final's confusion; 生 (sheng) and 僧 (seng) an initial's;
    # 审 (shen) and 僧 (seng) both, too far apart.
    assert set(sounds("剩")) & set(sounds("审"))
    assert set(sounds("生")) & set(sounds("僧"))
    assert not set(sounds("审")) & set(sounds("僧"))
    assert sounds("a") == ()


def test_the_place_and_the_bases_short_names_are_words() -> None:
    from content.catalogue import load_catalogue
    from content.qa import knowledge

    catalogue = load_catalogue(Path(__file__).parent.parent / "content" / "campaigns")
    xiaogan = knowledge(catalogue.get("xiaogan-2023")).homophones
    said = xiaogan.repair("现在报孝敢的3+2还能报上吗", words_only=True)
    assert said == "现在报孝感的3+2还能报上吗"
    fujian = knowledge(catalogue.get("fujian-2023")).homophones
    said = fujian.repair("福健助理全科在哪个网站报明", words_only=True)
    assert said == "福建助理全科在哪个网站报名"


def test_a_pair_of_running_text_stops_only_slips_into_longer_terms() -> None:
    # 社宝 happens to be a pair of the notice's sentences (公社宝库): no word, across two words.
    known = Homophones([], ["社保", "社会保险"], frame="吗的", running=["公社宝库"])
    assert known.repair("社宝在哪交", words_only=True) == "社保在哪交"
    assert known.repair("社宝在哪交") == "社宝在哪交"


def test_an_intent_topic_word_is_a_word() -> None:
    from content.catalogue import load_catalogue
    from content.qa import knowledge

    catalogue = load_catalogue(Path(__file__).parent.parent / "content" / "campaigns")
    xiaogan = knowledge(catalogue.get("xiaogan-2023")).homophones
    # 户籍 is one of the residence intent's topic words.
    said = xiaogan.repair("有没有户计限制", words_only=True)
    assert said == "有没有户籍限制"
