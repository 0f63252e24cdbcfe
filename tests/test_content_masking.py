"""ID and mobile numbers typed in free text are masked before the text is kept anywhere."""

from __future__ import annotations

import pytest

from content.masking import mask_personal_numbers
from storage.unanswered import list_unanswered
from tests.harness import Harness


@pytest.mark.parametrize(("typed", "kept"), [
    ("我叫张三，手机13812345678，身份证420984199901011234，能报名吗",
     "我叫张三，手机138****5678，身份证4209**********1234，能报名吗"),
    ("身份证 42098419990101123x 对吗", "身份证 4209**********123X 对吗"),
    ("４２０９８４１９９９０１０１１２３４", "4209**********1234"),  # full-width digits
    ("4209 8419 9901 0112 34", "4209**********1234"),  # spaced as people read it out
    ("手机 138-1234-5678", "手机 138****5678"),
    ("+86 139 1234 5678", "139****5678"),
    ("420984199901011235", "4209**********1235"),  # a bad check digit is still someone's
])
def test_personal_numbers_are_masked(typed: str, kept: str) -> None:
    assert mask_personal_numbers(typed) == kept


@pytest.mark.parametrize("text", [
    "2023年6月30日截止，名额10人", "咨询电话0712-2345678", "报名费多少钱", "第12345678901期",
])
def test_everything_else_is_left_alone(text: str) -> None:
    assert mask_personal_numbers(text) == text


async def test_an_unanswered_question_is_stored_masked(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("宿舍有空调吗？我手机13812345678，身份证420984199901011234")
    async with harness.services.sessionmaker() as session:
        groups = await list_unanswered(session)
    assert groups, "the question was not logged as unanswered"
    stored = " ".join(g.question + g.normalised for g in groups)
    assert "13812345678" not in stored and "420984199901011234" not in stored
    assert "138****5678" in stored


async def test_a_question_waiting_for_the_chooser_is_kept_masked(harness: Harness) -> None:
    from aiogram.fsm.storage.base import StorageKey

    await harness.send("报名截止是哪天？我身份证420984199901011234")
    key = StorageKey(bot_id=harness.bot.id, chat_id=1001, user_id=1001)
    data = await harness.dispatcher.storage.get_data(key)
    assert "420984199901011234" not in str(data) and "4209**********1234" in str(data)
