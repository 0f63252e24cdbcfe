"""Status changes from the record card through the real Dispatcher: confirm, audit, the
applicant told once (double tap, restart, second tick), reasons for 不通过 / 放弃, the
transition table, and the applicant's own /my afterwards."""

from __future__ import annotations

from sqlmodel import select

from storage import delivery as ledger
from storage import records
from storage.registrations import Registration
from tests.harness import Harness
from tests.staff_helpers import ADMIN, COORD, HANCHUAN_STAFF, button_with, press_with, tick
from tests.test_staff_records import add_people, audit_actions, open_records, record


async def open_card(h: Harness, user: int, receipt: str) -> None:
    await open_records(h, user)
    await h.send(receipt[-4:], user)
    await press_with(h, receipt, user)


def alert(calls) -> str:
    return next(c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery")


def to(calls, user: int) -> list[str]:
    return [c.text for c in calls if c.method == "sendMessage" and int(c.chat_id) == user]


async def status_messages(h: Harness) -> list[ledger.OutMessage]:
    async with h.services.sessionmaker() as session:
        found = await session.exec(select(ledger.OutMessage).where(
            ledger.OutMessage.kind == "status"))
        return list(found.all())


async def test_admitted_confirmed_audited_and_told_once(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    wang = people["王小明"]
    await open_card(h, COORD, "XG2023-0001")
    calls = await h.press("🎉 已录取", COORD)
    assert "确认将 <b>王小明</b>（<code>XG2023-0001</code>）设为 <b>已录取</b>？" in calls.text
    assert (await record(h, wang.id)).status == "pre_registered"  # nothing before 确认
    message, confirm = button_with(h, "✅ 确认", COORD)
    calls = await h.press("✅ 确认", COORD)
    card = calls.last.text
    assert "已将 王小明 设为“已录取”，已通知报名者" in card and "状态：<b>已录取</b>" in card
    assert "最近更改：" in card and "（2001），2023年5月10日 10:00" in card
    assert "🏥 已报到" in calls.labels and "🎉 已录取" not in calls.labels
    # A double tap on the same 确认: nothing more happens, and the coordinator is told why.
    again = await h.press_data(confirm, COORD)
    assert "当前已是“已录取”，无需更改" in alert(again)
    changed = await record(h, wang.id)
    assert (changed.status, changed.status_changed_by) == ("admitted", COORD)
    entries = await audit_actions(h, "record.status")
    assert [(e.actor_id, e.role, e.message_ref, e.detail) for e in entries] == [
        (COORD, "coordinator", "XG2023-0001",
         "XG2023-0001 pre_registered->admitted source=chat")]
    sent = await tick(h)
    told = to(sent, 31)
    assert len(told) == 1 and "已被录取" in told[0] and "XG2023-0001" in told[0]
    assert "报到" in told[0]  # what to do next (Xiaogan dates no report-in: the base will say)
    assert to(await tick(h), 31) == []
    await h.restart()
    assert to(await tick(h), 31) == []
    assert len(await status_messages(h)) == 1
    assert message is not None


async def test_review_failed_needs_a_reason_masked_and_sent_with_contacts(
        staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    wang = people["王小明"]
    await open_card(h, HANCHUAN_STAFF, "XG2023-0001")
    calls = await h.press("❌ 资格审核不通过", HANCHUAN_STAFF)
    assert "原因" in calls.text and "学历或专业不符合报名条件" in calls.labels
    calls = await h.send_content("sticker", HANCHUAN_STAFF)
    assert "请用文字写原因" in calls.text
    calls = await h.send("太长" * 101, HANCHUAN_STAFF)
    assert "200 字以内" in calls.text
    # 确认 forged before any reason: refused, nothing changes.
    calls = await h.press_data(f"sf:sok:{wang.id}:review_failed", HANCHUAN_STAFF)
    assert "需要填写原因" in alert(calls)
    calls = await h.send("毕业证书 <未上传>，请联系 13812345678 补交", HANCHUAN_STAFF)
    assert "原因：毕业证书 &lt;未上传&gt;，请联系 138****5678 补交" in calls.text
    calls = await h.press("✅ 确认", HANCHUAN_STAFF)
    assert "状态：<b>资格审核不通过</b>\n原因：毕业证书 &lt;未上传&gt;，请联系 138****5678 补交" \
        in calls.last.text
    changed = await record(h, wang.id)
    assert changed.status_reason == "毕业证书 <未上传>，请联系 138****5678 补交"
    [entry] = await audit_actions(h, "record.status")
    assert entry.base_id == "hanchuan" and "补交" not in entry.detail
    assert entry.detail.endswith("reason=given")
    told = to(await tick(h), 31)
    assert len(told) == 1
    assert "未通过资格审核" in told[0] and "138****5678 补交" in told[0]
    assert "汉川市人民医院" in told[0] and "8299245" in told[0]  # whom to contact: their base
    calls = await h.send("/my", 31)
    assert "资格审核不通过（原因：毕业证书 &lt;未上传&gt;" in calls.text
    assert not any("我已被录取" in label for label in calls.labels)  # no self-marking out of it


async def test_gave_up_with_a_common_reason(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    await open_card(h, ADMIN, "XG2023-0003")
    await h.press("🚫 放弃", ADMIN)
    calls = await h.press("本人申请放弃", ADMIN)
    assert "设为 <b>放弃</b>？\n原因：本人申请放弃" in calls.text
    calls = await h.press("✅ 确认", ADMIN)
    assert "状态：<b>放弃</b>\n原因：本人申请放弃" in calls.last.text
    assert set(calls.labels) >= {"✅ 资格审核通过", "🎉 已录取"}  # corrections only
    told = to(await tick(h), 33)
    assert len(told) == 1 and "记为“放弃”" in told[0] and "本人申请放弃" in told[0]
    assert (await record(h, people["王大伟"].id)).status == "gave_up"


async def test_the_buttons_follow_the_transition_table(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    wang = people["王小明"]
    # 已报到 straight from 已预登记 is not offered; a stale or forged button says why and shows
    # the card as it is; a status staff may not set is refused as an unknown button.
    calls = await h.press_data(f"sf:st:{wang.id}:reported", COORD)
    assert "当前为“已预登记”，不能直接改为“已报到”" in alert(calls)
    assert "状态：<b>已预登记</b>" in calls.last.text and "🏥 已报到" not in calls.labels
    calls = await h.press_data(f"sf:sok:{wang.id}:reported", COORD)
    assert "不能直接改为“已报到”" in alert(calls)
    calls = await h.press_data(f"sf:st:{wang.id}:withdrawn", COORD)
    assert "按钮已失效" in alert(calls)
    assert (await record(h, wang.id)).status == "pre_registered"
    assert await audit_actions(h, "record.status") == []
    assert records.targets("withdrawn") == []
    assert records.targets("admitted") == ["not_admitted", "reported", "gave_up"]
    assert records.may_move("admitted", "reported") and not records.may_move("review_failed",
                                                                             "reported")


async def test_a_withdrawn_record_cannot_be_changed(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    async with h.services.sessionmaker() as session, session.begin():
        row = await session.get(Registration, people["李四"].id)
        row.status = "withdrawn"
        row.active_id_hash = None
    calls = await h.press_data(f"sf:sok:{people['李四'].id}:admitted", COORD)
    assert "已由报名者撤回" in alert(calls)
    await open_card(h, COORD, "XG2023-0002")
    assert not any(label in h.labels(COORD) for label in ("🎉 已录取", "🚫 放弃"))


async def test_the_applicants_own_marks_never_override_staff(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    h.clock.set(h.clock.now().replace(month=7, day=5))  # Xiaogan's registration has closed
    await open_card(h, COORD, "XG2023-0001")
    await h.press("✅ 资格审核通过", COORD)
    await h.press("✅ 确认", COORD)
    await open_card(h, COORD, "XG2023-0002")
    await h.press("未录取", COORD)
    await h.press("✅ 确认", COORD)
    calls = await h.send("/my", 31)  # 资格审核通过: the result may still be reported
    assert "资格审核通过" in calls.text
    assert any("我已被录取" in label for label in calls.labels)
    calls = await h.send("/my", 32)  # 未录取 set by staff: no button to undo it
    assert "未录取" in calls.text
    assert not any("我已被录取" in label or "撤回" in label for label in calls.labels)
    # A stale 我已被录取 button (shown before staff decided) is refused too.
    calls = await h.press_data(f"rg:my_ad::{people['李四'].id}", 32)
    assert "当前状态为“未录取”，不能这样标记" in alert(calls)
    assert (await record(h, people["李四"].id)).status == "not_admitted"
    await press_with(h, "我已被录取", 31)
    changed = await record(h, people["王小明"].id)
    assert (changed.status, changed.status_changed_by) == ("admitted", None)


async def test_back_from_the_reason_prompt_takes_no_reason(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    await open_card(h, COORD, "XG2023-0001")
    await h.press("❌ 资格审核不通过", COORD)
    await h.press("↩️ 返回", COORD)
    calls = await h.send("李四", COORD)  # a search again, not a reason
    assert "找到 1 条记录" in calls.text
    # A card shown before someone else changed the record: its button is refused with why.
    await press_with(h, "XG2023-0002 李四", COORD)
    async with h.services.sessionmaker() as session, session.begin():
        row = await session.get(Registration, people["李四"].id)
        row.status = "review_failed"
    calls = await h.press("🚫 放弃", COORD)
    assert "当前为“资格审核不通过”，不能直接改为“放弃”" in alert(calls)
    assert "状态：<b>资格审核不通过</b>" in calls.last.text
    assert (await record(h, people["王小明"].id)).status == "pre_registered"


async def test_two_workers_confirming_at_once_change_and_tell_once(staffed: Harness) -> None:
    """Both read the record before either writes (two webhook workers, a double tap): the
    update is conditional on the old status, so the second finds nothing to change."""
    h = staffed
    people = await add_people(h)
    sm, now = h.services.sessionmaker, h.clock.now()
    async with sm() as first, sm() as second:
        mine = await first.get(Registration, people["王小明"].id)
        theirs = await second.get(Registration, people["王小明"].id)
        assert mine.status == theirs.status == "pre_registered"
        change = await records.change_status(
            first, registration=mine, status="admitted", reason=None, actor_id=COORD,
            actor_label="", actor_role="coordinator", now=now)
        await first.commit()
        assert change.notified and change.old == "pre_registered"
        try:
            await records.change_status(
                second, registration=theirs, status="admitted", reason=None, actor_id=ADMIN,
                actor_label="", actor_role="admin", now=now)
        except records.StatusRefused as refused:
            assert refused.code == "same"
        else:
            raise AssertionError("the second confirmation changed the record again")
        await second.rollback()
    assert len(await audit_actions(h, "record.status")) == 1
    assert len(await status_messages(h)) == 1
