"""The self-check in the chat, through the real Dispatcher: steps, back, cancel, restart."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest

from bot.cli import main as cli
from content.eligibility_render import choice_label
from content.idcard import check_char
from content.texts import default_texts
from storage.eligibility import latest_check
from tests.harness import Calls, Harness

TEXTS = default_texts()
USER = 1001
XIAOGAN_OK = {"education": "专科", "major": "临床医学", "birth_date": "1998-03-15",
              "qualification": "无", "employment": "无", "sponsorship": "无"}


async def field_asked(harness: Harness, user: int = USER) -> str | None:
    context = harness.dispatcher.fsm.get_context(bot=harness.bot, chat_id=user, user_id=user)
    state = await context.get_state()
    return state.split(":", 1)[1] if state else None


async def answer(harness: Harness, profile: dict[str, Any], user: int = USER) -> Calls:
    """Answer whatever is asked from `profile` until the verdict comes."""
    calls = Calls()
    while (field := await field_asked(harness, user)) is not None:
        value = profile[field]
        if field in ("major", "birth_date"):
            calls = await harness.send(str(value), user=user)
        else:
            calls = await harness.press(choice_label(TEXTS, field, value), user=user)
    return calls


async def stored(harness: Harness, slug: str, user: int = USER):
    async with harness.services.sessionmaker() as session:
        return await latest_check(session, user_id=user, campaign_slug=slug)


async def test_the_menu_button_starts_the_check(harness: Harness) -> None:
    menu = await harness.send("/start xiaogan-2023")
    assert ("我能报吗？", "el:start") in menu.buttons
    calls = await harness.press("我能报吗？")
    assert "报名条件自查" in calls.text and "第1题" in calls.text
    assert "学历" in calls.text
    assert {"专科（高职高专、大专）", "« 上一步", "✖ 取消"} <= set(calls.labels)
    assert await field_asked(harness) == "education"


async def test_a_xiaogan_check_from_start_to_verdict_is_stored(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    calls = await answer(harness, {**XIAOGAN_OK, "qualification": "执业助理医师",
                                   "scope_includes_gp": False})
    assert "符合报名条件" in calls.text
    assert "二、招录对象" in calls.text and "/register" in calls.text
    assert "重新自查" in calls.labels
    check = await stored(harness, "xiaogan-2023")
    assert check is not None and check.verdict == "eligible"
    assert check.profile["birth_date"] == "1998-03-15"
    assert check.profile["scope_includes_gp"] is False
    assert await field_asked(harness) is None


async def test_an_ineligible_verdict_gives_every_reason_with_its_clause(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    calls = await answer(harness, {**XIAOGAN_OK, "education": "本科", "major": "护理",
                                   "birth_date": "1980-01-01"})
    text = calls.text
    assert "不符合本次招录条件" in text
    assert "二、招录对象（三）" in text and "“护理”" in text and "43周岁" in text
    check = await stored(harness, "xiaogan-2023")
    assert check is not None and check.verdict == "ineligible"
    assert set(check.rules) == {"education_bachelor_or_above", "major_not_clinical",
                                "age_over_35"}


async def test_fujian_asks_no_age_and_sends_unit_staff_to_the_august_batch(
        harness: Harness) -> None:
    await harness.send("/start fujian-2023")
    first = await harness.press("我能报吗？")
    assert "约4题" in first.text
    asked = []
    profile = {"education": "专科", "major": "临床医学", "employment": "基层医疗卫生机构",
               "sponsorship": "无"}
    while (field := await field_asked(harness)) is not None:
        asked.append(field)
        await answer_one(harness, field, profile[field])
    assert asked == ["education", "major", "employment", "sponsorship"]
    text = harness.calls[-1].text
    assert "有条件" in text and "更多 ›（2/2）" in [b for b, _ in harness.calls[-1].buttons]
    text += (await harness.press("更多 ›（2/2）")).text
    assert "8月" in text and "六、其他事项（一）" in text


async def answer_one(harness: Harness, field: str, value: Any) -> Calls:
    if field in ("major", "birth_date"):
        return await harness.send(str(value))
    return await harness.press(choice_label(TEXTS, field, value))


async def test_typed_answers_dates_and_id_numbers(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    await harness.send("专科")  # a button's label, typed
    await harness.press("临床医学")
    assert await field_asked(harness) == "birth_date"
    calls = await harness.send("明年")
    assert "没有看懂这个日期" in calls.text and "出生日期" in calls.text
    assert await field_asked(harness) == "birth_date"
    calls = await harness.send("1998年3月")  # the day left out: asked for it, by example
    assert "还差出生的“日”" in calls.text and "1998年3月15日" in calls.text
    assert await field_asked(harness) == "birth_date"
    number = "42090219980315123"
    bad = await harness.send(number + ("0" if check_char(number) != "0" else "1"))
    assert "校验位" in bad.text
    calls = await harness.send(number + check_char(number))
    assert "deleteMessage" in calls.methods()
    assert "1998年3月15日" in calls.text and "执业" in calls.text
    assert await field_asked(harness) == "qualification"
    context = harness.dispatcher.fsm.get_context(bot=harness.bot, chat_id=USER, user_id=USER)
    assert number not in json.dumps(await context.get_data())
    await answer(harness, XIAOGAN_OK)
    check = await stored(harness, "xiaogan-2023")
    assert check is not None and number not in json.dumps(check.profile)


async def test_back_and_cancel_at_every_step(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    await harness.press("专科（高职高专、大专）")
    await harness.press("临床医学")
    calls = await harness.press("« 上一步")
    assert calls.methods() == ["answerCallbackQuery", "editMessageText"]
    assert await field_asked(harness) == "major" and "第2题" in calls.text
    await harness.press("« 上一步")
    assert await field_asked(harness) == "education"
    await harness.press("« 上一步")  # nothing before the first question: it stays
    assert await field_asked(harness) == "education"
    await harness.press("本科")
    calls = await harness.press("✖ 取消")
    assert "已取消" in calls.text and "开始自查" in calls.labels
    assert await field_asked(harness) is None
    assert "报名条件自查" in (await harness.press("开始自查")).text


async def test_a_check_survives_a_restart_and_resumes(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    await harness.press("专科（高职高专、大专）")
    await harness.press("临床医学")
    harness = await harness.restart()
    assert await field_asked(harness) == "birth_date"
    calls = await harness.send("/check")
    assert "还没有完成" in calls.text and "出生日期" in calls.text
    calls = await harness.send("1998-03-15")
    assert "执业" in calls.text
    await answer(harness, XIAOGAN_OK)
    check = await stored(harness, "xiaogan-2023")
    assert check is not None and check.profile["major"] == "临床医学"


async def test_non_text_and_stray_text_get_the_question_again(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    calls = await harness.send_content("sticker")
    assert "请点击下面的按钮" in calls.text and "学历" in calls.text
    assert "请点击下面的按钮" in (await harness.send("我不知道")).text
    await harness.press("专科（高职高专、大专）")
    await harness.press("临床医学")
    calls = await harness.send_content("photo")
    assert "需要输入文字" in calls.text and "出生日期" in calls.text
    assert await field_asked(harness) == "birth_date"


async def test_stale_buttons_and_rerun(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    await answer(harness, XIAOGAN_OK)
    calls = await harness.press_data("el:education:1")
    assert calls.last.params.get("show_alert") is True
    assert await field_asked(harness) is None
    calls = await harness.press("重新自查")
    assert "第1题" in calls.text
    await answer(harness, {**XIAOGAN_OK, "sponsorship": "农村订单定向"})
    check = await stored(harness, "xiaogan-2023")
    assert check is not None and check.verdict == "conditional"


async def test_check_without_a_campaign_offers_the_chooser(harness: Harness) -> None:
    calls = await harness.send("/check")
    assert "请先选择招录项目" in calls.text
    assert any("孝感" in label for label in calls.labels)


@pytest.mark.parametrize(("slug", "profile"), [
    ("xiaogan-2023", XIAOGAN_OK),
    ("xiaogan-2023", {**XIAOGAN_OK, "birth_date": "1988-06-30"}),
    ("xiaogan-2023", {**XIAOGAN_OK, "birth_date": "1987-06-30"}),
    ("xiaogan-2023", {**XIAOGAN_OK, "qualification": "执业助理医师", "scope_includes_gp": True}),
    ("xiaogan-2023", {**XIAOGAN_OK, "employment": "基层医疗卫生机构",
                      "sponsorship": "在职选送"}),
    ("xiaogan-2023", {**XIAOGAN_OK, "education": "中专", "major": "护理"}),
    ("fujian-2023", {"education": "专科", "major": "临床医学", "employment": "无",
                     "sponsorship": "农村订单定向"}),
    ("fujian-2023", {"education": "本科", "major": "临床医学(全科方向)", "employment": "其他单位",
                     "sponsorship": "无"}),
])
async def test_chat_and_command_line_agree(harness: Harness, capsys: pytest.CaptureFixture[str],
                                           slug: str, profile: dict[str, Any]) -> None:
    await harness.send(f"/start {slug}")
    await harness.send("/check")
    await answer(harness, profile)
    check = await stored(harness, slug)
    assert check is not None
    code = cli(["eligibility", "--campaign", slug, "--profile", json.dumps(check.profile),
                "--now", "2023-05-10T10:00:00+08:00", "--jsonl"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == check.verdict
    assert [r["rule"] for r in result["reasons"]] == check.rules
    # And the chat showed the same reasons the command printed.
    shown = html.unescape(harness.calls[-1].text)
    assert all(r["text"] in shown and r["source"] in shown for r in result["reasons"])
