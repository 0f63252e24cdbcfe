"""Issue 12 §1: a conversation never traps anyone. Commands leave or pause the self-check and the
pre-registration with one line; /cancel ends any applicant flow; a question typed at a step is
answered and the step asked again, never stored; typed button labels and their synonyms are
accepted; buttons from groups, and numbers no row can have, are refused quietly."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from aiogram.types import Chat, Message, User
from sqlmodel import select

from handlers import bot_commands
from storage.registrations import Registration
from tests.harness import USER, Harness
from tests.registration_helpers import id_number

ID = id_number()
FUJIAN_NOW = datetime.fromisoformat("2023-07-10T10:00:00+08:00")
PAUSED_FORM = "已暂停预登记，发送 /register 可继续"
PAUSED_CHECK = "已暂停报名条件自查，发送 /check 可继续"


async def at_name_step(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/register")
    await harness.press("✅ 同意并开始")
    calls = await harness.press("✅ 同意提供身份证号")
    assert "请输入<b>姓名</b>" in calls.text


async def in_check(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    calls = await harness.send("本科")
    assert "专业" in calls.text


async def test_the_issue_example_start_then_a_question_is_not_a_name(harness: Harness) -> None:
    """/start → choose → "报名时间" was saved as the name and the ID number asked next."""
    await at_name_step(harness)
    calls = await harness.send("/start")
    assert calls.texts[0].startswith(PAUSED_FORM) and "请选择您关注的招录通知" in calls.text
    await harness.press("✅ 孝感市 2023 助理全科医生培训（西医）")
    answer = await harness.send("报名时间")
    assert "报名时间" in answer.text and "身份证号" not in answer.text
    resumed = await harness.send("/register")
    assert "请输入<b>姓名</b>" in resumed.text  # the name is still to be given


@pytest.mark.parametrize(("command", "shows"), [
    ("/menu", "请选择要查看的内容"), ("/help", "招录助手使用说明"), ("/check", "报名条件自查"),
    ("/campaign", "请选择招录项目"), ("/my", "您还没有预登记"), ("/nonsense", "菜单")])
async def test_any_command_pauses_the_form_then_runs(harness: Harness, command: str,
                                                    shows: str) -> None:
    await at_name_step(harness)
    await harness.send("张三")
    calls = await harness.send(command)
    assert calls.texts[0] == PAUSED_FORM + "。" and shows in calls.text
    if command == "/check":  # the check is now the open flow: /cancel it first
        await harness.send("/cancel")
    question = await harness.send("培训地点在哪")  # Q&A, not the ID number step
    assert "身份证号" not in question.text and "培训基地" in question.text
    resumed = await harness.send("/register")
    assert "请输入<b>身份证号</b>" in resumed.text  # 张三 was kept: the next field is asked


async def test_switching_campaign_with_an_old_chooser_button_pauses_the_form(
        harness: Harness) -> None:
    await at_name_step(harness)
    await harness.send("张三")
    calls = await harness.press_data("c:fujian-2023")  # a chooser further up the chat
    assert calls.texts[0] == PAUSED_FORM + "。"
    typed = await harness.send("报名时间")  # the Q&A of Fujian, not Xiaogan's ID step
    assert "身份证号" not in typed.text and "福建" in typed.text
    # Choosing the same campaign again leaves an open form alone.
    await harness.send("/start xiaogan-2023")
    await harness.send("/register")
    calls = await harness.press_data("c:xiaogan-2023")
    assert PAUSED_FORM not in calls.text


async def test_register_in_the_form_resumes_without_a_pause_line(harness: Harness) -> None:
    await at_name_step(harness)
    calls = await harness.send("/register")
    assert PAUSED_FORM not in calls.text and "请输入<b>姓名</b>" in calls.text


async def test_a_form_paused_at_its_privacy_notice_starts_again(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/register")
    calls = await harness.send("/menu")
    assert calls.texts[0] == PAUSED_FORM + "。"
    again = await harness.send("/register")
    assert "隐私说明" in again.text


@pytest.mark.parametrize(("command", "shows"), [
    ("/start", "请选择您关注的招录通知"), ("/menu", "请选择要查看的内容"),
    ("/help", "招录助手使用说明"), ("/register", "隐私说明")])
async def test_any_command_pauses_the_self_check(harness: Harness, command: str,
                                                 shows: str) -> None:
    await in_check(harness)
    calls = await harness.send(command)
    assert calls.texts[0] == PAUSED_CHECK + "。" and shows in calls.text
    if command == "/register":
        await harness.send("/cancel")
    resumed = await harness.send("/check")
    assert "接着回答" in resumed.text and "专业" in resumed.text


async def test_check_in_the_check_resumes_it(harness: Harness) -> None:
    await in_check(harness)
    calls = await harness.send("/check")
    assert PAUSED_CHECK not in calls.text and "接着回答" in calls.text


async def test_cancel_ends_each_flow_with_one_line(harness: Harness) -> None:
    await at_name_step(harness)
    calls = await harness.send("/cancel")
    assert calls.texts == ["已取消预登记，未保存任何信息。需要时可随时发送 /register 重新开始。"]
    again = await harness.send("/register")
    assert "隐私说明" in again.text  # nothing was kept
    await harness.send("/cancel")
    await harness.send("/check")
    calls = await harness.send("/cancel")
    assert calls.texts == ["已取消报名条件自查。随时发送 /check 可以重新开始。"]
    calls = await harness.send("/cancel")
    assert calls.texts == ["当前没有进行中的操作。发送 /menu 打开菜单。"]
    typed = await harness.send("专科")  # no flow: a question for the Q&A, not an answer
    assert "第2题" not in typed.text


async def test_cancel_ends_a_paused_form(harness: Harness) -> None:
    await at_name_step(harness)
    await harness.send("张三")
    await harness.send("/menu")
    calls = await harness.send("/cancel")
    assert calls.texts == ["已取消预登记，未保存任何信息。需要时可随时发送 /register 重新开始。"]
    assert "隐私说明" in (await harness.send("/register")).text


async def test_cancel_is_an_applicant_command_in_the_menu_and_help(harness: Harness) -> None:
    names = [c.command for c in bot_commands(harness.services.texts)]
    assert names.count("cancel") == 1
    helped = await harness.send("/help")
    assert "/cancel 取消当前操作" in helped.text


async def test_cancel_in_the_materials_check(harness: Harness) -> None:
    harness.clock.set(FUJIAN_NOW)
    await harness.send("/start fujian-2023")
    await harness.send("/register")
    await harness.press("✅ 同意并开始")
    await harness.press("✅ 同意提供身份证号")
    for answer in ("张三", ID, "13812345678", "福建卫生职业技术学院", "2022"):
        await harness.send(answer)
    for label in ("专科（高职高专）", "临床医学", "未取得执业资格", "社会人", "接受调剂",
                  "✅ 确认提交", "📎 材料预检"):
        await harness.press(label)
    asked = await harness.send("照片要多大？")  # a question while a file is expected
    assert "300KB" in asked.texts[0] and "请发送 身份证正反面 的文件" in asked.texts[-1]
    calls = await harness.send("/cancel")
    assert calls.texts == ["已退出材料预检，已检查的结果已保存；需要时可在 /my 中点“📎 材料预检”"
                           "重新检查。"]
    calls = await harness.send("身份证正反面")
    assert "请发送" not in calls.text


async def test_a_question_at_a_form_step_is_answered_and_never_stored(harness: Harness) -> None:
    await at_name_step(harness)
    for question in ("报名时间", "学费多少", "在哪里培训？", "7月1号了还能报不", "培训要钱不"):
        calls = await harness.send(question)
        assert len(calls.texts) == 2 and "请输入<b>姓名</b>" in calls.texts[-1], question
    await harness.send("张三")
    calls = await harness.send("身份证号码怎么填")
    assert "请输入<b>身份证号</b>" in calls.texts[-1] and len(calls.texts) == 2
    await harness.send(ID)
    await harness.send("13812345678")
    school = await harness.send("待遇怎么样")
    assert "毕业院校" in school.texts[-1] and len(school.texts) == 2
    # A school or a major the Q&A also knows well is still the answer at its step.
    year = await harness.send("湖北职业技术学院")
    assert "毕业年份" in year.text
    await harness.send("2022")
    await harness.press("专科（高职高专）")
    asked = await harness.send("有笔试吗")
    assert "专业" in asked.texts[-1] and len(asked.texts) == 2
    qualification = await harness.send("口腔医学")
    assert "执业资格" in qualification.text
    await harness.press("« 上一步")
    await harness.press("临床医学")
    await harness.press("未取得执业资格")
    await harness.press("应往届毕业生")
    summary = await harness.press("汉川市人民医院（6人）")
    assert "姓名：张三" in summary.text and "毕业院校：湖北职业技术学院" in summary.text
    asked = await harness.send("什么时候出结果？")  # at the summary: answered, summary again
    assert len(asked.texts) == 2 and "请核对" in asked.texts[-1]
    assert "✅ 确认提交" in asked.labels
    receipt = await harness.press("✅ 确认提交")
    assert "XG2023-0001" in receipt.text
    async with harness.services.sessionmaker() as session:
        row = (await session.exec(select(Registration))).one()
    assert (row.name, row.school, row.major) == ("张三", "湖北职业技术学院", "临床医学")


async def test_a_question_in_the_self_check_is_answered_then_asked_again(
        harness: Harness) -> None:
    await in_check(harness)
    calls = await harness.send("护理专业可以报吗？")
    assert len(calls.texts) == 2 and "您所学的<b>专业</b>" in calls.texts[-1]
    await harness.send("临床医学")
    birth = await harness.send("年龄有限制吗")
    assert "出生日期" in birth.texts[-1] and len(birth.texts) == 2
    await harness.send("1999-01-01")
    await harness.press("都没有")
    asked = await harness.send("乡镇卫生院算基层吗？")
    assert len(asked.texts) == 2 and "目前的工作单位" in asked.texts[-1]


@pytest.mark.parametrize(("typed", "next_question"), [
    ("乡镇卫生院", "农村订单定向"), ("我在社区卫生服务中心上班", "农村订单定向"),
    ("村卫生室", "农村订单定向"), ("待业", "农村订单定向"), ("应届毕业生", "农村订单定向"),
    ("其他单位", "农村订单定向"), ("没有工作单位（应往届毕业生等）", "农村订单定向"),
])
async def test_typed_labels_and_synonyms_are_accepted_in_the_self_check(
        harness: Harness, typed: str, next_question: str) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    for answer in ("大专", "临床医学", "1999年1月1日", "没有"):
        await harness.send(answer)
    calls = await harness.send(typed)
    assert next_question in calls.text and "请点击下面的按钮" not in calls.text


@pytest.mark.parametrize("typed", ["不在基层", "县医院", "嗯"])
async def test_what_names_no_button_is_asked_again(harness: Harness, typed: str) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    for answer in ("研究生", "临床医学", "1999-01-01", "都没有"):
        await harness.send(answer)
    calls = await harness.send(typed)
    assert "请点击下面的按钮选择" in calls.text and "目前的工作单位" in calls.text


async def test_a_press_from_a_group_or_channel_is_ignored(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    for kind, chat_id in (("supergroup", -1001), ("group", -1002), ("channel", -1003)):
        message = Message(message_id=5, date=harness.clock.now(),
                          chat=Chat(id=chat_id, type=kind), text="…",
                          from_user=User(id=42, is_bot=True, first_name="招录助手"))
        for data in ("m:xiaogan-2023:applicants", "rg:start", "el:start", "c:xiaogan-2023"):
            assert await harness.driver.press_data(USER, data, message) == [], (kind, data)
    # The same press in the private chat works.
    calls = await harness.press_data("m:xiaogan-2023:applicants")
    assert "answerCallbackQuery" in calls.methods() and "editMessageText" in calls.methods()


@pytest.mark.parametrize("data", [
    "rg:my_edit::99999999999999999999999", "rg:my_edit::9999999999", "rg:my_wd::-1",
    "ask:more:99999999999999999999", "ask:more:9999999999",
    "sf:ibx:99999999999999999999:", "el:education:99999999999999999999999",
    "rg:my_mt::9999999999"])
async def test_numbers_out_of_range_are_stale_buttons(harness: Harness, data: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    await harness.send("/start xiaogan-2023")
    calls = await harness.press_data(data)
    assert calls.methods()[0] == "answerCallbackQuery"
    alert = calls[0].params.get("text", "")
    assert "失效" in alert or "过期" in alert, alert
    assert "出现了问题" not in calls.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_negative_answer_index_in_the_self_check_is_stale(harness: Harness) -> None:
    await harness.send("/start xiaogan-2023")
    await harness.send("/check")
    calls = await harness.press_data("el:education:-1")
    assert "过期" in calls[0].params.get("text", "")
    still = await harness.send("本科")  # the question is still the first one
    assert "专业" in still.text


async def test_a_failure_after_the_press_was_answered_is_told_in_the_chat(
        harness: Harness) -> None:
    """§1: the error handler answers a press a second time; Telegram refuses that (and so does
    the recording session, bot/recording.py), so the user hears it in a message instead."""
    await in_check(harness)

    def broken(call):  # noqa: ANN001, ANN202
        raise RuntimeError("the edit failed")

    harness.session.responders["editMessageText"] = broken
    calls = await harness.press("临床医学")
    assert calls.methods() == ["answerCallbackQuery", "editMessageText",
                               "answerCallbackQuery", "sendMessage"]
    assert "出现了问题" in calls.last.text
