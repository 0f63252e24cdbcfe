"""Announcements through the real Dispatcher: compose, audience, preview, confirm, :tick delivery.

Each audience reaches exactly its people; the header names campaign and sender; formatting and
files arrive as copies of the one composed message; a double tap sends once.
"""

from __future__ import annotations

import pytest

from storage import announcements as ann_repo
from storage import audit
from storage import delivery as ledger
from storage.staff import ADMIN
from tests.harness import Harness
from tests.staff_helpers import (
    ADMIN as ADMIN_ID,
)
from tests.staff_helpers import (
    COORD,
    EXPECTED,
    HANCHUAN_STAFF,
    XG,
    choose,
    compose,
    copies,
    press_with,
    send_now,
    tick,
)


@pytest.mark.parametrize(("audience", "base"), sorted(EXPECTED, key=str))
async def test_each_audience_reaches_exactly_its_people(staffed: Harness, audience: str,
                                                        base: str | None) -> None:
    h = staffed
    await compose(h, COORD)
    await choose(h, COORD, audience, base)
    calls = await send_now(h, COORD)
    expected = EXPECTED[(audience, base)]
    assert f"人数：<b>{len(expected)}</b> 人" in "\n".join(c.text for c in calls)
    sent = await tick(h)
    assert copies(sent) == expected
    assert await tick(h) == []  # nothing twice
    card = [c for c in sent if c.method == "editMessageText"][-1]
    assert f"送达 {len(expected)}" in card.text
    report = [c for c in sent if c.method == "sendMessage" and int(c.chat_id) == COORD]
    assert report and "已发送完毕" in report[-1].text


async def test_header_formatting_and_opt_out_button_arrive_as_written(staffed: Harness) -> None:
    from aiogram.types import MessageEntity

    h = staffed
    await h.send("/staff", COORD)
    await h.press("📢 发通知", COORD)
    text = "明天👍上午资格审核 https://www.hbwsrc.cn"
    entities = [MessageEntity(type="bold", offset=0, length=2),
                MessageEntity(type="italic", offset=4, length=2)]
    calls = h._checked(await h.driver.send_text(COORD, text, entities))  # noqa: SLF001
    preview = next(c for c in calls if c.method == "sendMessage" and "【" in c.text)
    head = "【孝感市 2023 · 孝感市卫生健康委员会】"
    assert preview.params["text"] == f"{head}\n{text}"
    assert "parse_mode" not in preview.params  # nothing is parsed: the entities say it all
    shift = len(head) + 1  # all BMP characters: one UTF-16 unit each
    got = [(e["type"], e["offset"], e["length"]) for e in preview.params["entities"]]
    assert got == [("bold", 0, len(head)), ("bold", shift, 2), ("italic", shift + 4, 2)]
    await choose(h, COORD, "everyone")
    await send_now(h, COORD)
    sent = await tick(h)
    delivered = [c for c in sent if c.method == "copyMessage"]
    assert {int(c.params["from_chat_id"]) for c in delivered} == {COORD}
    assert {int(c.params["message_id"]) for c in delivered} == {preview.result.message_id}
    assert all(c.text == f"{head}\n{text}" for c in delivered)
    assert all(c.buttons == [("🔕 不再接收此项目通知", f"an:off:{XG}")] for c in delivered)


async def test_a_pdf_with_a_caption_goes_as_a_copy_with_the_base_header(staffed: Harness) -> None:
    h = staffed
    await h.send("/staff", HANCHUAN_STAFF)
    await h.press("📢 发通知", HANCHUAN_STAFF)
    calls = await h.send_content("document", HANCHUAN_STAFF, file_name="资格审核安排.pdf",
                                 mime_type="application/pdf", caption="请按附件时间到场")
    preview = next(c for c in calls if c.method == "copyMessage")
    assert preview.params["caption"] == "【孝感市 2023 · 汉川市人民医院】\n请按附件时间到场"
    assert preview.shown["file"] == "资格审核安排.pdf"
    # Base staff choose no base: theirs is fixed.
    assert not any("全部基地" in label for label in h.labels(HANCHUAN_STAFF))
    await choose(h, HANCHUAN_STAFF, "not_official")
    await send_now(h, HANCHUAN_STAFF)
    sent = await tick(h)
    assert copies(sent) == [13]
    copy = next(c for c in sent if c.method == "copyMessage")
    assert copy.shown == {"text": "【孝感市 2023 · 汉川市人民医院】\n请按附件时间到场",
                          "file": "资格审核安排.pdf"}


async def test_double_tap_on_confirm_sends_once(staffed: Harness) -> None:
    h = staffed
    await compose(h, COORD)
    await choose(h, COORD, "admitted")
    await h.press("👁 预览", COORD)
    await h.press("🚀 立即发送", COORD)
    message, data = h.driver.button_data(COORD, "✅ 确认发送")
    first = await h.driver.press_data(COORD, data, message)
    second = await h.driver.press_data(COORD, data, message)
    assert any("已提交" in c.text for c in first)
    assert [c.method for c in second] == ["answerCallbackQuery"]
    async with h.services.sessionmaker() as session:
        assert len(await ledger.deliveries_of(session, key="bc:1")) == 3
        entries = await audit.latest(session, campaigns=[XG])
    assert [e.action for e in entries].count("announce.send") == 1
    assert copies(await tick(h)) == [16, 17, 18]


async def test_empty_audience_refuses_to_go_on(staffed: Harness) -> None:
    h = staffed
    await compose(h, HANCHUAN_STAFF)
    await choose(h, HANCHUAN_STAFF, "admitted_not_reported")  # 16 only
    await h.press("👁 预览", HANCHUAN_STAFF)
    await h.press("« 修改受众", HANCHUAN_STAFF)
    # 16 is no longer in it once they reported
    async with h.services.sessionmaker() as session, session.begin():
        from sqlmodel import select

        from storage.registrations import Registration
        row = (await session.exec(select(Registration).where(Registration.user_id == 16))).one()
        row.status = "reported"
        session.add(row)
    calls = await h.press("👁 预览", HANCHUAN_STAFF)
    assert calls.methods() == ["answerCallbackQuery"]
    assert "0 人" in calls.last.params["text"] and calls.last.params["show_alert"]


async def test_the_admins_sees_campaigns_and_the_draft_belongs_to_its_author(
        staffed: Harness) -> None:
    h = staffed
    await h.send("/staff", ADMIN_ID)
    calls = await h.press("📢 发通知", ADMIN_ID)
    assert {"孝感市 2023 助理全科医生培训（西医）", "福建省 2023 助理全科医生培训（社会人）"} <= \
        set(calls.labels)
    await press_with(h, "福建省", ADMIN_ID)
    calls = await h.send("福建的通知", ADMIN_ID)
    assert "【福建省 2023 · 福建省卫生健康委员会】" in calls.text
    assert not any("全部基地" in label for label in calls.labels)  # Fujian lists no bases
    async with h.services.sessionmaker() as session:
        draft = await ann_repo.get(session, announcement_id=1)
    assert draft is not None and draft.sender_role == ADMIN and draft.status == "draft"
