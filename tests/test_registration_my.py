"""After the form: duplicates and double taps, eligibility verdicts, /my (edit, withdraw,
已官网报名), /mydata and /delete_my_data."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from handlers.registration_keyboards import RgCb
from storage.models import FsmRecord, User
from storage.registrations import Registration
from tests.harness import Harness
from tests.registration_helpers import id_number
from tests.test_registration_chat import fill_common, registrations, start_form

OTHER = 1002


async def register_xiaogan(harness: Harness, user: int = 1001, person: str = "应往届毕业生",
                           id_text: str | None = None) -> str:
    await start_form(harness, "xiaogan-2023", user=user)
    await fill_common(harness, user=user, id_text=id_text or id_number())
    await harness.press(person, user=user)
    await harness.press("汉川市人民医院（6人）", user=user)
    return (await harness.press("✅ 确认提交", user=user)).text


async def test_double_tap_on_confirm_registers_once(harness: Harness) -> None:
    first = await register_xiaogan(harness)
    assert "XG2023-0001" in first
    second = await harness.press("✅ 确认提交")  # the summary's button, pressed again
    assert "无需重复提交" in second.text and "XG2023-0001" in second.text
    assert len(await registrations(harness)) == 1


async def test_same_id_from_another_account_is_refused_with_the_contact(
    harness: Harness,
) -> None:
    # Both fill the form at once; the second to confirm is refused (the ID step, which now
    # refuses a number already held, could not know yet).
    await start_form(harness, "xiaogan-2023", user=OTHER)
    await fill_common(harness, user=OTHER, id_text=id_number())
    await harness.press("应往届毕业生", user=OTHER)
    await harness.press("汉川市人民医院（6人）", user=OTHER)
    await register_xiaogan(harness)
    refused = (await harness.press("✅ 确认提交", user=OTHER)).text
    assert "另一个账号" in refused and "13545442175" in refused  # 汉川 base's phone
    assert "回执号" not in refused
    assert [r.user_id for r in await registrations(harness)] == [1001]
    # Fixing the ID number from the same summary goes through.
    await harness.press("改身份证号", user=OTHER)
    await harness.send(id_number("42098119980505123"), user=OTHER)
    done = await harness.press("✅ 确认提交", user=OTHER)
    assert "XG2023-0002" in done.text


async def test_ineligible_not_registered_conditional_registered_with_condition(
    harness: Harness,
) -> None:
    await start_form(harness, "xiaogan-2023")
    for answer in ("张三", id_number(), "13812345678", "湖北医药学院", "2022"):
        await harness.send(answer)
    await harness.press("本科")
    await harness.press("临床医学")
    await harness.press("未取得执业资格")
    await harness.press("应往届毕业生")
    await harness.press("汉川市人民医院（6人）")
    refused = await harness.press("✅ 确认提交")
    assert "不符合报名条件" in refused.text and "二、招录对象" in refused.text
    assert await registrations(harness) == []
    await harness.press("改学历")
    await harness.press("专科（高职高专）")
    await harness.press("改人员类型")
    noted = await harness.press("农村订单定向")
    assert "委托培训单位" in noted.text  # said at once, on the summary that follows
    receipt = await harness.press("✅ 确认提交")
    assert "XG2023-0001" in receipt.text and "请注意以下条件" in receipt.text
    [row] = await registrations(harness)
    assert row.verdict == "conditional" and "选送" in row.conditions[0]


async def test_my_marks_edits_and_withdraws(harness: Harness) -> None:
    await register_xiaogan(harness)
    my = await harness.send("/my")
    assert "已预登记" in my.text and "撤回 XG2023-0001" in " ".join(my.labels)
    marked = await harness.press("✅ 我已在官网报名 XG2023-0001")
    assert "已官网报名" in marked.text
    summary = await harness.press("✏️ 修改 XG2023-0001")
    assert "请核对" in summary.text and "4209**********" in summary.text
    await harness.press("改手机号")
    await harness.send("13900001111")
    updated = await harness.press("✅ 确认提交")
    assert "预登记已更新" in updated.text and "XG2023-0001" in updated.text
    [row] = await registrations(harness)
    assert (row.phone, row.status) == ("13900001111", "officially_registered")
    await harness.send("/my")
    ask = await harness.press("↩️ 撤回 XG2023-0001")
    assert "确定撤回" in ask.text
    gone = await harness.press("确定撤回")
    assert "已撤回" in gone.text
    again = await register_xiaogan(harness, user=OTHER)  # the ID number is free again
    assert "XG2023-0002" in again


async def test_my_after_the_window_offers_no_edit(harness: Harness) -> None:
    await register_xiaogan(harness)
    await harness.send("/my")
    harness.clock.set(datetime.fromisoformat("2023-07-01T09:00:00+08:00"))
    late = await harness.press("↩️ 撤回 XG2023-0001")
    assert late.methods() == ["answerCallbackQuery"] and "截止" in late[0].params["text"]
    my = await harness.send("/my")
    assert "不能再修改或撤回" in my.text
    assert not [label for label in my.labels if "撤回" in label or "修改" in label]


async def test_mydata_and_delete_my_data(harness: Harness) -> None:
    await register_xiaogan(harness)
    await register_xiaogan(harness, user=OTHER, id_text=id_number("42098119980505123"))
    data = await harness.send("/mydata")
    assert "XG2023-0001" in data.text and "4209**********" in data.text
    assert "三、资格自查（0 条）" in data.text
    assert id_number() not in data.text
    kept = await harness.send("/delete_my_data")
    assert "无法恢复" in kept.text
    await harness.press("取消")
    assert len(await registrations(harness)) == 2
    await harness.send("/delete_my_data")
    done = await harness.press("确定删除")
    assert "已删除" in done.text
    async with harness.services.sessionmaker() as session:
        users = (await session.exec(select(User.id))).all()
        fsm = (await session.exec(select(FsmRecord.user_id))).all()
        left = (await session.exec(select(Registration.user_id))).all()
    assert 1001 not in users and 1001 not in fsm and left == [OTHER]
    assert "还没有预登记" in (await harness.send("/my")).text


async def test_my_marks_the_result_once_it_is_out(harness: Harness) -> None:
    await register_xiaogan(harness)
    my = await harness.send("/my")  # 5月10日: no result yet
    assert not [label for label in my.labels if "录取" in label]
    harness.clock.set(datetime.fromisoformat("2023-07-05T09:00:00+08:00"))
    my = await harness.send("/my")
    assert {"🎉 我已被录取 XG2023-0001", "未被录取 XG2023-0001"} <= set(my.labels)
    marked = await harness.press("🎉 我已被录取 XG2023-0001")
    # Xiaogan dates no report-in: no reminder promised, whom to ask instead (issue 12 §2).
    assert "已录取" in marked.text and "提醒" not in marked.text
    assert "报到安排请咨询" in marked.text and "汉川市人民医院（胡老师） 8299245" in marked.text
    [row] = await registrations(harness)
    assert row.status == "admitted"
    # An old /my message's other button no longer applies.
    refused = await harness.press_data(RgCb(action="my_na", value=str(row.id)).pack())
    assert refused.methods() == ["answerCallbackQuery"]
    assert refused[0].params["show_alert"] is True and "已录取" in refused[0].params["text"]
    my = await harness.send("/my")
    assert "✅ 我已到基地报到 XG2023-0001" in my.labels
    assert not [label for label in my.labels if "被录取" in label]
    await harness.press("✅ 我已到基地报到 XG2023-0001")
    [row] = await registrations(harness)
    assert row.status == "reported"
