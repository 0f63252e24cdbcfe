"""Sending announcements, in the chat: schedule, quiet hours and urgency, stopping, opting out,
what cannot be an announcement, and the records staff see afterwards."""

from __future__ import annotations

import asyncio

from bot.clock import parse_moment
from storage import audit
from storage import delivery as ledger
from tests.harness import Harness
from tests.staff_helpers import ADMIN as ADMIN_ID
from tests.staff_helpers import (
    COORD,
    HANCHUAN_STAFF,
    XG,
    choose,
    compose,
    copies,
    press_with,
    send_now,
    tick,
)


async def at(h: Harness, moment: str) -> None:
    h.clock.set(parse_moment(moment))


async def test_scheduled_for_tomorrow_9_goes_then_and_only_then(staffed: Harness) -> None:
    h = staffed
    await compose(h, COORD)
    await choose(h, COORD, "not_official")
    await h.press("👁 预览", COORD)
    calls = await h.press("⏰ 定时发送", COORD)
    assert calls.labels[:2] == ["今天 5月10日 周三", "明天 5月11日 周四"]
    calls = await h.press("明天 5月11日 周四", COORD)
    assert calls.labels[0] == "08:00" and "21:00" in calls.labels and "22:00" not in calls.labels
    calls = await h.press("09:00", COORD)
    assert "2023年5月11日 9:00" in calls.text
    calls = await h.press("✅ 确认发送", COORD)
    assert "已定时" in calls.text and calls.labels == ["✖ 取消定时"]
    assert copies(await tick(h)) == []
    await at(h, "2023-05-11T08:59:00+08:00")
    assert copies(await tick(h)) == []
    await at(h, "2023-05-11T09:00:10+08:00")
    sent = await tick(h)
    assert copies(sent) == [13, 15]
    async with h.services.sessionmaker() as session:
        actions = [e.action for e in await audit.latest(session, campaigns=[XG])]
    assert actions[:3] == ["announce.done", "announce.start", "announce.schedule"]


async def test_send_now_at_night_waits_for_8_unless_urgent(staffed: Harness) -> None:
    h = staffed
    await at(h, "2023-05-10T23:10:00+08:00")
    await compose(h, COORD)
    await choose(h, COORD, "admitted")
    await h.press("👁 预览", COORD)
    calls = await h.press("🚀 立即发送", COORD)
    assert "夜间免打扰" in calls.text and "2023年5月11日 8:00" in calls.text
    await h.press("✅ 确认发送", COORD)
    assert copies(await tick(h)) == []
    await at(h, "2023-05-11T08:00:05+08:00")
    assert copies(await tick(h)) == [16, 17, 18]

    await at(h, "2023-05-11T23:30:00+08:00")
    await compose(h, COORD, "明早考点变更：改到汉川市人民医院门诊楼")
    await choose(h, COORD, "admitted")
    await h.press("👁 预览", COORD)
    calls = await h.press("⚠️ 标记为紧急", COORD)
    assert "标记为紧急？" in calls.text
    calls = await h.press("确定，标记为紧急", COORD)
    assert "紧急：是" in calls.text
    calls = await h.press("🚀 立即发送", COORD)
    assert "时间：立即发送" in calls.text
    await h.press("✅ 确认发送", COORD)
    assert copies(await tick(h)) == [16, 17, 18]
    async with h.services.sessionmaker() as session:
        entries = await audit.latest(session, campaigns=[XG])
    urgent = [e for e in entries if e.action == "announce.urgent"]
    assert len(urgent) == 1 and urgent[0].actor_id == COORD
    assert any(e.action == "announce.send" and "urgent=yes" in e.detail for e in entries)


async def test_quiet_hours_are_not_offered_to_a_plain_announcement(staffed: Harness) -> None:
    h = staffed
    await compose(h, COORD)
    await choose(h, COORD, "everyone")
    await h.press("👁 预览", COORD)
    await h.press("⏰ 定时发送", COORD)
    await h.press("明天 5月11日 周四", COORD)
    # A forged time inside the quiet hours is refused as well.
    calls = await h.press_data("sf:time:1:202305112300", COORD)
    assert calls.methods() == ["answerCallbackQuery"] and calls.last.params["show_alert"]
    calls = await h.press_data("sf:ok:1:202305112300", COORD)
    assert calls.methods() == ["answerCallbackQuery"]
    assert copies(await tick(h)) == []


async def test_cancel_a_scheduled_announcement(staffed: Harness) -> None:
    h = staffed
    await compose(h, COORD)
    await choose(h, COORD, "everyone")
    await h.press("👁 预览", COORD)
    await h.press("⏰ 定时发送", COORD)
    await h.press("明天 5月11日 周四", COORD)
    await h.press("10:00", COORD)
    await h.press("✅ 确认发送", COORD)
    calls = await h.press("✖ 取消定时", COORD)
    assert "确定停止通知 #1" in calls.text
    calls = await h.press("确定停止", COORD)
    assert any("定时发送已取消" in c.text for c in calls)
    await at(h, "2023-05-11T10:00:00+08:00")
    assert copies(await tick(h)) == []


async def test_stop_mid_drain_sends_no_more(staffed: Harness) -> None:
    h = staffed
    async with h.services.sessionmaker() as session, session.begin():
        from storage.subscriptions import subscribe
        from storage.users import set_campaign, touch_user
        for uid in range(100, 160):
            await touch_user(session, user_id=uid, first_name="x", last_name=None,
                             username=None, now=h.clock.now())
            await set_campaign(session, user_id=uid, slug=XG)
            await subscribe(session, user_id=uid, slug=XG, now=h.clock.now())
    await compose(h, COORD)
    await choose(h, COORD, "subscribers")
    await send_now(h, COORD)
    original = h.session.make_request
    started = asyncio.Event()

    async def slow(bot, method, timeout=None):  # noqa: ANN001, ANN202
        if method.__api_method__ == "copyMessage":
            await asyncio.sleep(0.02)
            if len([c for c in h.session.calls if c.method == "copyMessage"]) >= 10:
                started.set()
        return await original(bot, method, timeout)

    h.session.make_request = slow
    drain = asyncio.create_task(tick(h))
    await started.wait()
    await h.press("⏹ 停止发送", COORD)
    calls = await h.press("确定停止", COORD)
    assert any("正在停止" in c.text for c in calls)
    stopped_at = len(copies(h.session.calls))
    await drain
    h.session.make_request = original
    sent = copies(h.session.calls)
    assert 10 <= len(sent) < 62
    assert len(sent) - stopped_at <= 4  # only the calls already under way
    async with h.services.sessionmaker() as session:
        counts = await ledger.status_counts(session, key="bc:1")
    assert counts[ledger.SENT] == len(sent)
    assert counts[ledger.CANCELLED] == 62 - len(sent)
    report = [c for c in h.session.calls if c.method == "sendMessage" and "已停止" in c.text]
    assert report and f"已发送 {len(sent)} 人" in report[-1].text
    assert copies(await tick(h)) == []  # nothing more, ever


async def test_opt_out_is_kept_and_settings_show_both(staffed: Harness) -> None:
    h = staffed
    await compose(h, COORD)
    await choose(h, COORD, "subscribers")
    await send_now(h, COORD)
    await tick(h)
    calls = await h.press("🔕 不再接收此项目通知", 13)
    assert calls.labels == ["🔔 接收工作人员通知"]
    calls = await h.send("/settings", 13)
    assert "报名提醒：已开启" in calls.text and "工作人员通知：未开启" in calls.text
    await compose(h, COORD, "第二条通知")
    calls = await choose(h, COORD, "subscribers")
    assert "将发送给 <b>1</b> 人（另有 1 人已关闭本项目通知，不发送）" in calls.text
    await send_now(h, COORD)
    assert copies(await tick(h)) == [12]
    await h.press("🔔 接收工作人员通知", 13)
    assert "工作人员通知：已开启" in (await h.send("/settings", 13)).text


async def test_what_cannot_be_an_announcement(staffed: Harness) -> None:
    h = staffed
    await h.send("/staff", COORD)
    await h.press("📢 发通知", COORD)
    for kind, word in (("sticker", "贴纸"), ("poll", "投票"), ("location", "位置"),
                       ("voice", "语音")):
        calls = await h.send_content(kind, COORD)
        assert f"收到的是{word}" in calls.text, kind
    first = await h.send_content("photo", COORD, media_group_id="alb1")
    second = await h.send_content("photo", COORD, media_group_id="alb1")
    assert "一次只发送一张" in first.text and second == []
    calls = await h.send("通" * 4073, COORD)  # 4,097 with the header: one over
    assert "通知太长" in calls.text and "请删减" in calls.text
    calls = await h.send_content("photo", COORD, caption="说" * 1001)  # 1,025 with the header
    assert "说明文字" in calls.text and "最多 1024 字" in calls.text
    calls = await h.send_content("document", COORD, file_name="面试安排.xlsx",
                                 caption="面试安排见附件")
    assert any(c.method == "copyMessage" for c in calls)  # accepted at last
    assert "受众" in calls.text


async def test_cancel_and_other_commands_leave_the_flow(staffed: Harness) -> None:
    h = staffed
    await h.send("/staff", COORD)
    await h.press("📢 发通知", COORD)
    calls = await h.send("/cancel", COORD)
    assert "已取消" in calls.text
    calls = await h.send("明天上午审核", COORD)
    assert "【" not in calls.text  # a question again, not an announcement
    await h.press_data("sf:new:0:", COORD)
    calls = await h.send("/menu", COORD)
    assert "已退出当前的工作人员操作" in calls.text and len(calls) == 2  # then the menu itself


async def test_history_and_audit_log_in_the_chat(staffed: Harness) -> None:
    h = staffed
    await compose(h, HANCHUAN_STAFF)
    await choose(h, HANCHUAN_STAFF, "preregistered")
    await send_now(h, HANCHUAN_STAFF)
    await tick(h)
    await h.send("/staff", HANCHUAN_STAFF)
    calls = await h.press("🗂 通知记录", HANCHUAN_STAFF)
    assert "#1" in calls.text and "送达 4" in calls.text and "已预登记 · 汉川市人民医院" in \
        calls.text
    await h.press("« 工作人员菜单", HANCHUAN_STAFF)
    calls = await h.press("📜 操作记录", HANCHUAN_STAFF)
    assert "发通知" in calls.text and "4 人" in calls.text and "bc:1" in calls.text
    async with h.services.sessionmaker() as session:
        entries = await audit.latest(session, limit=100)
    joined = " ".join(f"{e.detail} {e.message_ref}" for e in entries)
    for personal in ("测试", "13800000000", "申请人", "4209"):
        assert personal not in joined
    # Coordinators see it too; the admin sees the system's entries as well.
    await h.send("/staff", ADMIN_ID)
    calls = await h.press("📜 操作记录", ADMIN_ID)
    assert "授予身份" in calls.text
    await press_with(h, "工作人员菜单", ADMIN_ID)


async def test_the_card_shows_progress_while_sending(staffed: Harness, monkeypatch) -> None:
    from bot import announce_delivery

    h = staffed
    monkeypatch.setattr(announce_delivery, "PROGRESS_SECONDS", 0.2)
    original = h.session.make_request

    async def slow(bot, method, timeout=None):  # noqa: ANN001, ANN202
        if method.__api_method__ == "copyMessage":
            await asyncio.sleep(0.15)
        return await original(bot, method, timeout)

    await compose(h, COORD)
    await choose(h, COORD, "everyone")  # 9 people
    await send_now(h, COORD)
    h.session.make_request = slow
    calls = await tick(h)
    card = h.driver.button_data(COORD, "⏹ 停止发送")
    assert card is None  # the finished card has no stop button any more
    edits = [c.text for c in calls if c.method == "editMessageText" and int(c.chat_id) == COORD]
    assert any("发送中" in text and "待发" in text for text in edits)
    assert "已发送完毕" in edits[-1] and "送达 9" in edits[-1]
    assert len(edits) == len(set(edits))  # an unchanged card is not edited again
