"""/start, deep links, the campaign chooser and the menu, through the real Dispatcher."""

from __future__ import annotations

from aiogram.types import Chat, Message, Update, User

from tests.harness import Calls, Harness


async def test_start_shows_the_campaign_chooser(harness: Harness) -> None:
    calls = await harness.send("/start")
    assert calls.methods() == ["sendMessage"]
    assert "招录助手" in calls.text
    labels = calls.labels
    assert any("孝感" in label for label in labels)
    assert any("福建" in label for label in labels)


async def test_deep_link_selects_the_campaign_and_shows_its_menu(harness: Harness) -> None:
    calls = await harness.send("/start xiaogan-2023")
    assert "孝感" in calls.text
    for label in ("培训模式", "报名条件", "招录计划", "报名时间与方式", "待遇保障", "联系方式"):
        assert label in calls.labels


async def test_unknown_deep_link_falls_back_to_the_chooser(harness: Harness) -> None:
    calls = await harness.send("/start no-such-campaign")
    assert "未找到" in calls.text
    assert any("福建" in label for label in calls.labels)


async def test_choosing_from_the_chooser_edits_it_into_the_menu(harness: Harness) -> None:
    await harness.send("/start")
    label = next(x for x in harness.labels() if "福建" in x)
    calls = await harness.press(label)
    assert calls.methods()[:2] == ["answerCallbackQuery", "editMessageText"]
    assert "福建" in calls[1].text
    assert "报名条件" in calls[1].buttons[1][0]
    # Then the one-tap reminder offer.
    assert calls.methods()[2:] == ["sendMessage"] and "提醒" in calls[2].text


async def test_sections_cite_their_clause_and_use_chinese_dates(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.press("报名时间与方式")
    assert "2023年5月4日" in calls.text
    assert "四、学员报名" in calls.text
    calls = await harness.press("« 返回菜单")
    assert "招录计划" in calls.labels
    plan = await harness.press("招录计划")
    bases = (("孝感市第一人民医院", "10"), ("汉川市人民医院", "6"), ("安陆市普爱医院", "6"))
    for base, quota in bases:
        assert base in plan.text and quota in plan.text
    assert "22" in plan.text


async def test_every_section_of_both_campaigns_renders(harness: Harness) -> None:
    for slug in ("xiaogan-2023", "fujian-2023"):
        await harness.send(f"/start {slug}")
        for label in ("培训模式", "报名条件", "招录计划", "报名时间与方式", "待遇保障", "联系方式"):
            calls = await harness.press(label)
            assert calls.text, label
            assert "来源" in calls.text or "、" in calls.text
            await harness.press("« 返回菜单")


async def test_double_tap_on_a_section_changes_nothing(harness: Harness) -> None:
    await harness.send("/start fujian-2023")
    first = await harness.press("报名条件")
    message = harness.session.latest_with_buttons(1001)
    # The same section button again, on the message that already shows it (a double tap).
    calls = Calls(await harness.driver.press_data(1001, "m:fujian-2023:applicants", message))
    assert calls.methods() == ["answerCallbackQuery", "editMessageText"]
    assert calls.last.text == first.last.text
    assert "sendMessage" not in calls.methods()


async def test_menu_and_campaign_commands(harness: Harness) -> None:
    calls = await harness.send("/menu")
    assert "还没有选择" in calls.text
    await harness.send("/start fujian-2023")
    assert "福建" in (await harness.send("/menu")).text
    switch = await harness.send("/campaign")
    assert any(label.startswith("✅") and "福建" in label for label in switch.labels)
    assert "/campaign" in (await harness.send("/help")).text


async def test_forged_and_stale_buttons_get_a_polite_answer(harness: Harness) -> None:
    for data in ("m:no-such:training", "m:xiaogan-2023:nosection", "zz:whatever", "c:gone-2020"):
        calls = await harness.press_data(data)
        assert calls.methods() == ["answerCallbackQuery"], data
        assert "失效" in calls.last.params["text"]


async def test_non_text_messages_get_a_clear_reply(harness: Harness) -> None:
    for kind, word in (("sticker", "贴纸"), ("photo", "图片"), ("voice", "语音")):
        calls = await harness.send_content(kind)
        assert word in calls.text
        assert "文字" in calls.text


async def test_long_text_and_markup_in_names_are_safe(harness: Harness) -> None:
    calls = await harness.send("报" * 4096)
    assert calls.text
    update = Update(update_id=999, message=Message(
        message_id=999, date=harness.clock.now(), chat=Chat(id=7, type="private"),
        text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}],
        from_user=User(id=7, is_bot=False, first_name="<b>A&B</b>")))
    calls = await harness.driver.feed(update)
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in calls[0].text


async def test_group_messages_are_ignored(harness: Harness) -> None:
    update = Update(update_id=998, message=Message(
        message_id=998, date=harness.clock.now(), chat=Chat(id=-100, type="supergroup"),
        text="报名时间", from_user=User(id=8, is_bot=False, first_name="x")))
    assert await harness.driver.feed(update) == []


async def test_campaign_and_state_survive_a_restart(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    harness = await harness.restart()
    calls = await harness.send("/menu")
    assert "孝感" in calls.text


async def test_a_failure_after_a_press_was_answered_still_reaches_the_user(
        harness: Harness) -> None:
    """Telegram refuses a second answer to a press (the recording session too): the error
    handler then writes to the chat instead of failing silently."""
    await harness.send("/start xiaogan-2023")

    def broken(call):  # noqa: ANN001, ANN202
        raise RuntimeError("the edit failed for a reason of its own")

    harness.session.responders["editMessageText"] = broken
    calls = await harness.press("报名条件")
    assert calls.methods() == ["answerCallbackQuery", "editMessageText",
                               "answerCallbackQuery", "sendMessage"]
    assert "出现了问题" in calls.last.text


async def test_a_second_answer_to_one_press_is_refused_as_by_telegram(harness: Harness) -> None:
    from aiogram.exceptions import TelegramBadRequest

    await harness.bot.answer_callback_query("q1")
    try:
        await harness.bot.answer_callback_query("q1")
    except TelegramBadRequest as error:
        assert "query is too old" in error.message
    else:
        raise AssertionError("the second answer was accepted")
