"""Free-text questions through the real Dispatcher (handlers/qa.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.unanswered import list_unanswered
from storage.users import get_user
from tests.harness import USER, Harness

THIRD = Path(__file__).parent / "fixtures" / "qa-third" / "yangli-2024.yaml"
LIFE = """  life:
    - id: canteen
      title: 食堂
      text: 培训基地设有职工食堂。
      clause: 九、生活
      keywords: [吃饭]
    - id: meal_allowance
      title: 伙食补助
      text: 伙食补助随生活补助发放。
      clause: 九、生活
      keywords: [吃饭]
"""


async def test_a_question_is_answered_with_its_source(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("汉川市人民医院的联系电话")
    assert calls.methods() == ["sendMessage"]
    assert "8299245" in calls.text and "（来源：《关于做好我市" in calls.text
    assert calls.labels == ["« 返回菜单"]


async def test_without_a_campaign_the_chooser_comes_first(harness: Harness) -> None:
    calls = await harness.send("报名截止是哪天")
    assert "请先选择" in calls.text
    assert any("孝感" in label for label in calls.labels)


async def test_the_waiting_question_is_answered_after_the_choice(harness: Harness) -> None:
    await harness.send("报名截止是哪天")
    calls = await harness.press(next(x for x in harness.labels() if "孝感" in x))
    assert "6月30日" in calls.text
    # Answered once: choosing again does not repeat it.
    await harness.send("/campaign")
    again = await harness.press(next(x for x in harness.labels() if "孝感" in x))
    assert "6月30日" not in again.text


async def test_a_deep_link_answers_the_waiting_question_too(harness: Harness) -> None:
    await harness.send("护理专业能报吗")
    calls = await harness.send("/start xiaogan-2023")
    assert "临床医学" in calls.text


async def test_unanswered_questions_are_logged(harness: Harness) -> None:
    await harness.send("/start fujian-2023")
    calls = await harness.send("明天福州天气怎么样")
    assert "83574579" in calls.text
    await harness.send("报名网址是什么")
    async with harness.services.sessionmaker() as session:
        groups = await list_unanswered(session)
    assert [(g.campaign_slug, g.question, g.count) for g in groups] == [
        ("fujian-2023", "明天福州天气怎么样", 1)]


async def test_commands_and_non_text_are_not_questions(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("/nosuchcommand")
    assert "来源" not in calls.text
    calls = await harness.send_content("sticker")
    assert "来源" not in calls.text


async def test_a_very_long_message_gets_a_polite_answer(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("我想问一下" * 800)
    assert "太长" in calls.text


@pytest.fixture
async def life_harness(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    content = tmp_path / "content"
    content.mkdir()
    text = THIRD.read_text(encoding="utf-8").replace("  contacts: []\n", LIFE + "  contacts: []\n")
    (content / "yangli-2024.yaml").write_text(text, encoding="utf-8")
    h = await Harness.create(db_url, var_dir=tmp_path / "var", content_dir=content)
    yield h
    await h.close()


async def test_of_two_close_answers_one_is_shown_and_the_other_a_button(
        life_harness: Harness) -> None:
    await life_harness.send("/start yangli-2024")
    calls = await life_harness.send("吃饭")
    data = [d for _label, d in calls.buttons if d.startswith("qa:")]
    assert len(data) == 1 and all(len(d.encode()) <= 64 for d in data)
    assert "职工食堂" in calls.text and "“伙食补助”" in calls.text
    assert "伙食补助" in calls.labels and "食堂" not in calls.labels
    chosen = await life_harness.press("伙食补助")
    assert chosen.methods() == ["answerCallbackQuery", "sendMessage"]
    assert "随生活补助发放" in chosen.text and "九、生活" in chosen.text


async def test_a_stale_answer_button_says_so(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.press_data("qa:xiaogan-2023:fact.no_such_fact")
    assert calls.methods() == ["answerCallbackQuery"]
    assert calls.last.params.get("show_alert") is True


@pytest.mark.parametrize("typed", ["菜单", "返回菜单", "主菜单", "  主菜单 "])
async def test_a_typed_menu_word_shows_the_menu(harness: Harness, typed: str) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send(typed)
    assert calls.methods() == ["sendMessage"]
    assert "报名条件" in calls.labels and "通知对此没有写明" not in calls.text


@pytest.mark.parametrize(("typed", "says"), [
    ("报名条件", "35周岁以下"), ("联系方式", "2839876"), ("聯系方式", "2839876"),
])
async def test_a_typed_section_label_shows_the_section(harness: Harness, typed: str,
                                                       says: str) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send(typed)
    # The contacts page also offers to ask a person (the staff inbox, issue 11).
    asks = ["💬 问老师"] if "联" in typed or "聯" in typed else []
    assert says in calls.text and calls.labels == [*asks, "« 返回菜单"]
    # The whole section, not one answer: every fact of it.
    assert "（来源：" not in calls.text


async def test_a_question_about_a_section_is_still_a_question(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("报名条件是什么")
    assert "（来源：" in calls.text


async def test_a_menu_word_without_a_campaign_offers_the_chooser(harness: Harness) -> None:
    calls = await harness.send("菜单")
    assert any("孝感" in label for label in calls.labels)
    # Not kept as a question to answer after the choice.
    after = await harness.press(next(x for x in calls.labels if "孝感" in x))
    assert "通知对此没有写明" not in after.text


async def test_typing_a_place_chooses_its_campaign(harness: Harness) -> None:
    calls = await harness.send("孝感市")
    assert "已选择" in calls.texts[0] and "孝感" in calls.texts[0]
    assert "报名条件" in calls.labels and "🔔 开启报名提醒" in calls.labels
    assert "请先选择" not in calls.text
    assert "6月30日" in (await harness.send("报名截止是哪天")).text  # Xiaogan's, from now on


async def test_a_question_naming_a_place_chooses_and_is_answered(harness: Harness) -> None:
    calls = await harness.send("想問下福建的網上報名什麼時候截止")
    assert "福建" in calls.texts[0] and "7月12日" in calls.text
    assert "🔔 开启报名提醒" in calls.labels


async def test_a_place_typed_after_a_waiting_question_answers_it(harness: Harness) -> None:
    await harness.send("报名截止是哪天")
    calls = await harness.send("孝感")
    assert "6月30日" in calls.text


async def test_two_places_or_a_chosen_campaign_keep_things_as_they_are(harness: Harness) -> None:
    calls = await harness.send("孝感和福建哪个好考")
    assert "请先选择" in calls.text
    await harness.press(next(x for x in harness.labels() if "孝感" in x))
    calls = await harness.send("福建")  # asked in Xiaogan's chat: no switch behind the back
    assert "已选择" not in calls.text
    async with harness.services.sessionmaker() as session:
        user = await get_user(session, user_id=USER)
    assert user is not None and user.campaign_slug == "xiaogan-2023"
    # ... but the switch is offered, not a Xiaogan clause on "福建" (it gave the contacts).
    assert "要看" in calls.text and "福建" in calls.text, calls.text
    assert "联系方式" not in calls.text, calls.text
    assert any("福建" in label for label in calls.labels), calls.labels
    calls = await harness.send("孝感")  # the chosen campaign's own name: its menu
    assert "报名条件" in calls.labels and "联系方式" not in calls.text, calls.text
