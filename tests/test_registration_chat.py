"""The pre-registration in the chat: Xiaogan and Fujian from /register to the receipt, invalid
answers re-asked alone, back and cancel, the window by the clock, a restart mid-form."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlmodel import select

from storage.registration_materials import RegistrationMaterial
from storage.registrations import Registration
from tests.harness import Harness
from tests.registration_helpers import VAULT, id_number

XIAOGAN_NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
FUJIAN_NOW = datetime.fromisoformat("2023-07-10T10:00:00+08:00")
ID = id_number()
USER = 1001


async def registrations(harness: Harness) -> list[Registration]:
    async with harness.services.sessionmaker() as session:
        return list((await session.exec(select(Registration))).all())


async def start_form(harness: Harness, slug: str, user: int = USER) -> None:
    await harness.send(f"/start {slug}", user=user)
    calls = await harness.send("/register", user=user)
    assert "隐私说明" in calls.text and "/delete_my_data" in calls.text
    await harness.press("✅ 同意并开始", user=user)
    await harness.press("✅ 同意提供身份证号", user=user)


async def fill_common(harness: Harness, user: int = USER, id_text: str = ID) -> None:
    """姓名 … 执业资格: the fields both notices ask."""
    for answer in ("张三", id_text, "138 1234 5678", "湖北职业技术学院", "2022"):
        await harness.send(answer, user=user)
    await harness.press("专科（高职高专）", user=user)
    await harness.press("临床医学", user=user)
    await harness.press("未取得执业资格", user=user)


async def test_xiaogan_from_register_to_receipt(harness: Harness,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await start_form(harness, "xiaogan-2023")
    await fill_common(harness)
    calls = await harness.press("应往届毕业生")
    assert "汉川市人民医院：招录 6 人" in calls.text and "第 10/10 项" in calls.text
    summary = await harness.press("汉川市人民医院（6人）")
    assert "4209**********" in summary.text and "138****5678" in summary.text
    assert ID not in summary.text and "改身份证号" in summary.labels
    receipt = await harness.press("✅ 确认提交")
    text = receipt.text
    assert "回执号：<code>XG2023-0001</code>" in text and "https://www.hbwsrc.cn" in text
    assert "2023年5月4日至6月30日" in text and "意向基地：汉川市人民医院" in text
    [row] = await registrations(harness)
    assert (row.user_id, row.base_choices, row.verdict) == (USER, ["hanchuan"], "eligible")
    assert VAULT.hash_id(ID) != row.id_hash  # the harness has its own key file
    # Even SQL debug logging never sees the ID number in clear (it is encrypted before SQL);
    # the phone reaches only third-party DEBUG output (aiosqlite's parameters), never INFO+.
    assert ID not in caplog.text
    assert not [r for r in caplog.records
                if r.levelno >= logging.INFO and "13812345678" in r.getMessage()]


async def test_fujian_refuses_unit_people_and_asks_adjustment(harness: Harness) -> None:
    harness.clock.set(FUJIAN_NOW)
    await start_form(harness, "fujian-2023")
    await fill_common(harness)
    refused = await harness.press("单位人")
    assert "8月" in refused.text and "六、其他事项（一）" in refused.text
    assert "第 9/10 项" in refused.text  # the same field again
    calls = await harness.press("社会人")
    assert "填写志愿并上报" in calls.text and "最多可填报 2 个志愿" in calls.text
    assert "不予调剂" in calls.text and "意向基地" not in calls.text
    summary = await harness.press("不接受调剂")
    assert "接受调剂：否" in summary.text
    receipt = await harness.press("✅ 确认提交")
    assert "📎 材料预检" in receipt.labels
    more = await harness.press("更多 ›（2/2）")  # one phone screen a page (issue 12 §3)
    for needed in ("FJ2023-0001", "fjzlqk.wsglw.net", "7月12日 17:00", "300KB", "电脑"):
        assert needed in receipt.text + more.text
    assert "📎 材料预检" in more.labels
    [row] = await registrations(harness)
    assert (row.person_type, row.accepts_adjustment, row.base_choices) == ("social", False, [])


async def test_materials_pre_check(harness: Harness) -> None:
    harness.clock.set(FUJIAN_NOW)
    await start_form(harness, "fujian-2023")
    await fill_common(harness)
    await harness.press("社会人")
    await harness.press("接受调剂")
    await harness.press("✅ 确认提交")
    asked = await harness.press("📎 材料预检")
    assert "身份证正反面" in asked.text and "1/3" in asked.text
    bad = await harness.send_content("document", file_name="id.png", mime_type="image/png",
                                     size=450_000)
    assert "格式不符" in bad.text and "文件过大" in bad.text and "440KB" in bad.text
    good = await harness.send_content("document", file_name="id.jpg", size=250_000)
    assert "✅ 身份证正反面" in good.text and "高职高专毕业证" in good.text
    photo = await harness.send_content("photo", size=120_000)
    assert "压缩" in photo.text and "执业（助理）医师资格证" in photo.text
    done = await harness.press("跳过此项")
    assert "材料预检结束" in done.text and "未检查" in done.text
    async with harness.services.sessionmaker() as session:
        kept = (await session.exec(select(RegistrationMaterial))).all()
    assert [(m.rule_id, bool(m.problems)) for m in kept] == [
        ("id_card", True), ("id_card", False), ("diploma", False)]


async def test_invalid_answers_re_ask_only_that_field(harness: Harness) -> None:
    await start_form(harness, "xiaogan-2023")
    await harness.send("张三")
    wrong = ID[:-1] + ("1" if ID[-1] != "1" else "2")
    calls = await harness.send(wrong)
    assert "校验位不正确" in calls.text and "第 2/10 项" in calls.text
    await harness.send(ID)
    calls = await harness.send("12812345678")
    assert "11 位中国大陆手机号" in calls.text and "第 3/10 项" in calls.text
    await harness.send("13812345678")
    await harness.send("湖北职业技术学院")
    calls = await harness.send("2030")
    assert "不能晚于 2023 年" in calls.text and "第 5/10 项" in calls.text
    await harness.send("2022")
    calls = await harness.send("大学")
    assert "请点选" in calls.text and "第 6/10 项" in calls.text


async def test_closed_sets_accept_their_labels_typed(harness: Harness) -> None:
    """A button's label (or a common alias) typed out counts as pressing it: old chats, a new
    shell on the same database, or an applicant who prefers typing."""
    await start_form(harness, "xiaogan-2023")
    for answer in ("张三", ID, "13812345678", "湖北职业技术学院", "2022", "大专", "临床医学",
                   "未取得执业资格", "应往届毕业生"):
        await harness.send(answer)
    summary = await harness.send("汉川")
    assert "学历：专科（高职高专）" in summary.text and "意向基地：汉川市人民医院" in summary.text


async def test_back_and_cancel(harness: Harness) -> None:
    await start_form(harness, "xiaogan-2023")
    await harness.send("张三")
    await harness.send(ID)
    back = await harness.press("« 上一步")
    assert "第 2/10 项" in back.text and "身份证号" in back.text
    back = await harness.press("« 上一步")
    assert "第 1/10 项" in back.text
    back = await harness.press("« 上一步")
    assert "隐私说明" in back.text
    await harness.press("✅ 同意并开始")
    await harness.press("✅ 同意提供身份证号")
    cancelled = await harness.press("✖ 取消")
    assert "已取消预登记" in cancelled.text and cancelled.labels == ["« 返回菜单"]
    again = await harness.send("/register")
    assert "隐私说明" in again.text
    assert await registrations(harness) == []


async def test_edit_a_field_from_the_summary(harness: Harness) -> None:
    await start_form(harness, "xiaogan-2023")
    await fill_common(harness)
    await harness.press("应往届毕业生")
    await harness.press("安陆市普爱医院（6人）")
    asked = await harness.press("改手机号")
    assert "手机号" in asked.text
    summary = await harness.send("+86 139-0000-1111")
    assert "139****1111" in summary.text and "请核对" in summary.text
    await harness.press("改意向基地")
    summary = await harness.press("孝感市第一人民医院（10人）")
    assert "意向基地：孝感市第一人民医院" in summary.text


async def test_restart_mid_form_resumes(harness: Harness) -> None:
    await start_form(harness, "xiaogan-2023")
    await harness.send("张三")
    await harness.send(ID)
    harness = await harness.restart()
    calls = await harness.send("13812345678")
    assert "第 4/10 项" in calls.text
    harness = await harness.restart()
    resumed = await harness.send("/register")
    assert "第 4/10 项" in resumed.text and "毕业院校" in resumed.text


@pytest.mark.parametrize(("now", "expected"), [
    ("2023-05-04T12:00:00+08:00", "（西医）的预登记将于2023年5月5日开始"),
    ("2023-07-01T00:00:00+08:00", "已于2023年6月30日 23:59截止"),
])
async def test_form_only_in_the_pre_registration_period(harness: Harness, now: str,
                                                        expected: str) -> None:
    harness.clock.set(datetime.fromisoformat(now))
    await harness.send("/start xiaogan-2023")
    calls = await harness.send("/register")
    assert expected in calls.text and "同意并开始" not in calls.labels
    assert "《" not in calls.text.split("\n")[0]  # a campaign's name is not a document title
    assert calls.labels == ["« 返回菜单"]  # not a dead end


async def test_window_closing_mid_form_refuses_confirm(harness: Harness) -> None:
    harness.clock.set(datetime.fromisoformat("2023-07-12T16:50:00+08:00"))
    await start_form(harness, "fujian-2023")
    await fill_common(harness)
    await harness.press("社会人")
    await harness.press("接受调剂")
    harness.clock.set(datetime.fromisoformat("2023-07-12T17:00:30+08:00"))
    calls = await harness.press("✅ 确认提交")
    assert "截止" in calls.text and "回执号" not in calls.text
    assert await registrations(harness) == []


async def test_a_confirmed_pre_registration_subscribes_to_reminders(harness: Harness) -> None:
    from storage.subscriptions import is_subscribed

    await start_form(harness, "xiaogan-2023")
    await fill_common(harness)
    await harness.press("应往届毕业生")
    await harness.press("汉川市人民医院（6人）")
    receipt = await harness.press("✅ 确认提交")
    assert "⏰" in receipt.text and "/unsubscribe" in receipt.text
    async with harness.services.sessionmaker() as session:
        assert await is_subscribed(session, user_id=USER, slug="xiaogan-2023")


async def test_an_earlier_no_to_reminders_stands_after_confirm(harness: Harness) -> None:
    from storage.subscriptions import is_subscribed

    await harness.send("/start xiaogan-2023")
    await harness.send("/subscribe")
    assert "已关闭" in (await harness.send("/unsubscribe")).text
    await start_form(harness, "xiaogan-2023")
    await fill_common(harness)
    await harness.press("应往届毕业生")
    await harness.press("汉川市人民医院（6人）")
    receipt = await harness.press("✅ 确认提交")
    assert "回执号" in receipt.text and "⏰" not in receipt.text
    async with harness.services.sessionmaker() as session:
        assert not await is_subscribed(session, user_id=USER, slug="xiaogan-2023")
