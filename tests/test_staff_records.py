"""/staff → 📋 报名名单 through the real Dispatcher: search by receipt number and by name, the card,
scope (a base's staff never sees or changes another base's record, even with a forged button),
and the full ID number: coordinators and admins only, every view audited."""

from __future__ import annotations

from sqlmodel import select

from storage import audit
from storage import registrations as reg_repo
from storage.crypto import vault_for
from storage.registrations import Registration
from storage.users import touch_user
from tests.harness import Harness
from tests.registration_helpers import applicant, id_number
from tests.staff_helpers import ADMIN, ANLU_STAFF, COORD, HANCHUAN_STAFF, XG, press_with

# (user id, name, ID number's first 17, phone, base) -> receipts XG2023-0001 … in this order.
PEOPLE = ((31, "王小明", "42090219990101123", "13812345678", "hanchuan"),
          (32, "李四", "42090219980202234", "13998765432", "anlu_puai"),
          (33, "王大伟", "42090219970303345", "13700001111", "xiaogan_first"))


async def add_people(h: Harness, people=PEOPLE, slug: str = XG, prefix: str = "XG2023"
                     ) -> dict[str, Registration]:
    """Real pre-registrations (encrypted ID numbers, sequential receipts), by name."""
    vault = vault_for(h.services.settings)
    found = {}
    async with h.services.sessionmaker() as session, session.begin():
        for uid, name, first17, phone, base in people:
            await touch_user(session, user_id=uid, first_name=name, last_name=None,
                             username=None, now=h.clock.now())
            outcome = await reg_repo.create(
                session, vault=vault, campaign_slug=slug, receipt_prefix=prefix, user_id=uid,
                applicant=applicant(name=name, id_number=id_number(first17), phone=phone,
                                    base_choices=(base,) if base else ()),
                verdict="eligible", conditions=[], now=h.clock.now())
            found[name] = outcome.registration
    return found


async def open_records(h: Harness, user: int) -> None:
    await h.send("/staff", user)
    calls = await h.press("📋 报名名单", user)
    if any("孝感" in label for label in calls.labels):
        await press_with(h, "孝感", user)


async def record(h: Harness, registration_id: int) -> Registration:
    async with h.services.sessionmaker() as session:
        return await session.get(Registration, registration_id)


async def audit_actions(h: Harness, action: str) -> list[audit.AuditEntry]:
    async with h.services.sessionmaker() as session:
        found = await session.exec(select(audit.AuditEntry).where(
            audit.AuditEntry.action == action).order_by(audit.AuditEntry.id))
        return list(found.all())


async def test_search_by_receipt_number_and_open_the_card(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    await open_records(h, COORD)
    assert any("XG2023-0003 王大伟" in label for label in h.labels(COORD))  # the latest list
    for typed in ("0002", "2", "xg2023-0002", "XG2023-0002"):
        calls = await h.send(typed, COORD)
        assert "找到 1 条记录" in calls.text, typed
        assert calls.labels[0].startswith("XG2023-0002 李四"), typed
    calls = await press_with(h, "XG2023-0002 李四", COORD)
    card = calls.last.text
    assert "XG2023-0002" in card and "李四" in card
    assert "4209**********" in card and id_number("42090219980202234") not in card
    assert "139****5432" in card and "13998765432" not in card
    assert "安陆市普爱医院" in card and "已预登记" in card and "符合报名条件" in card
    assert "👁 显示完整身份证号" in calls.labels
    assert {"✅ 资格审核通过", "❌ 资格审核不通过", "🎉 已录取", "未录取", "🚫 放弃"} <= \
        set(calls.labels)
    assert "🏥 已报到" not in calls.labels  # only from 已录取
    assert people["李四"].id is not None


async def test_search_by_name_and_the_bad_inputs(staffed: Harness) -> None:
    h = staffed
    await add_people(h)
    await open_records(h, COORD)
    calls = await h.send("王", COORD)
    assert "找到 2 条记录" in calls.text
    assert [label.split(" ")[1] for label in calls.labels[:2]] == ["王小明", "王大伟"]
    calls = await h.send("张三丰", COORD)
    assert "没有找到“张三丰”" in calls.text
    calls = await h.send("<b>王</b>" * 20, COORD)
    assert "不超过 40 个字" in calls.text
    calls = await h.send_content("sticker", COORD)
    assert "请用文字发送回执号或姓名" in calls.text
    calls = await h.send("/cancel", COORD)
    assert "王小明" not in calls.text
    calls = await h.send("王", COORD)  # no longer a search: the ordinary Q&A answers
    assert "找到" not in calls.text


async def test_more_than_ten_results_asks_to_narrow_it(staffed: Harness) -> None:
    h = staffed
    names = "一二三四五六七八九十甲乙"
    many = tuple((50 + i, f"王{names[i]}", f"4209021999010{i:02d}12", "13812345678", "hanchuan")
                 for i in range(12))
    await add_people(h, many)
    await open_records(h, COORD)
    calls = await h.send("王", COORD)
    assert "超过 10 条记录" in calls.text
    assert sum(label.startswith("XG2023-") for label in calls.labels) == 10


async def test_base_staff_see_only_their_base(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    await open_records(h, HANCHUAN_STAFF)
    assert "汉川市人民医院" in h.session.calls[-1].text
    latest = [label for label in h.labels(HANCHUAN_STAFF) if label.startswith("XG2023-")]
    assert latest == ["XG2023-0001 王小明 · 已预登记"]
    calls = await h.send("王", HANCHUAN_STAFF)
    assert "找到 1 条记录" in calls.text and calls.labels[0].startswith("XG2023-0001 王小明")
    calls = await h.send("0002", HANCHUAN_STAFF)
    assert "没有找到" in calls.text
    calls = await press_with(h, "XG2023-0001 王小明", HANCHUAN_STAFF)
    assert "王小明" in calls.last.text
    assert "👁 显示完整身份证号" not in calls.labels  # base staff never see the full number
    # Forged buttons naming another base's record: refused as if staff features did not exist.
    other = people["李四"].id
    for data in (f"sf:rc:{other}:", f"sf:st:{other}:admitted", f"sf:sok:{other}:admitted",
                 f"sf:rid:{other}:", f"sf:rid:{people['王小明'].id}:",
                 f"sf:rs:{other}:gave_up.1"):
        calls = await h.press_data(data, HANCHUAN_STAFF)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
        assert "按钮已失效" in calls.last.params["text"], data
        assert "李四" not in calls.text and "4209" not in calls.text
    assert (await record(h, other)).status == "pre_registered"
    assert await audit_actions(h, "record.status") == []
    assert await audit_actions(h, "record.view_id") == []


async def test_an_outsider_and_an_unknown_record_get_nothing(staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    await h.press_data(f"sf:rc:{people['王小明'].id}:", ANLU_STAFF)
    assert "王小明" not in h.session.calls[-1].params.get("text", "")
    calls = await h.press_data("sf:rc:99999:", COORD)
    assert "按钮已失效" in calls.last.params["text"]
    calls = await h.press_data("sf:st:0:admitted", COORD)
    assert "按钮已失效" in calls.last.params["text"]


async def test_full_id_number_for_coordinator_and_admin_each_view_audited(
        staffed: Harness) -> None:
    h = staffed
    people = await add_people(h)
    full = id_number("42090219990101123")
    for user in (COORD, ADMIN):
        await open_records(h, user)
        await h.send("0001", user)
        await press_with(h, "XG2023-0001 王小明", user)
        calls = await h.press("👁 显示完整身份证号", user)
        assert full in calls.text and "已记入操作记录" in calls.text
    calls = await h.press("👁 显示完整身份证号", ADMIN)  # again: audited again
    assert full in calls.text
    entries = await audit_actions(h, "record.view_id")
    assert [(e.actor_id, e.role, e.message_ref) for e in entries] == [
        (COORD, "coordinator", "XG2023-0001"), (ADMIN, "admin", "XG2023-0001"),
        (ADMIN, "admin", "XG2023-0001")]
    assert all(full not in e.detail and "王小明" not in e.detail for e in entries)
    # The audit log in the chat names the action and the receipt, never the number.
    await h.send("/staff", COORD)
    calls = await h.press("📜 操作记录", COORD)
    assert "查看完整身份证号" in calls.text and full not in calls.text
    assert people["王小明"].receipt_no == "XG2023-0001"
