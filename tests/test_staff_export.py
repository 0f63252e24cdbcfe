"""/staff → 📤 导出/导入 through the real Dispatcher: the XLSX as a document, edited with openpyxl,
sent back, previewed and confirmed; every refusal of a file and of a row; base staff scope.

The records (real encrypted ID numbers, so the export decrypts them):

    31 XG2023-0001 汉川 pre_registered        36 XG2023-0006 汉川 reported
    32 XG2023-0002 汉川 officially_registered 37 XG2023-0007 汉川 withdrawn (not exported)
    33 XG2023-0003 孝感一医 review_passed     38 XG2023-0008 汉川 pre_registered
    34 XG2023-0004 安陆普爱 pre_registered    39 XG2023-0009 汉川 pre_registered
    35 XG2023-0005 no base, pre_registered    50 FJ2023-0001 Fujian admitted
                                              51 FJ2023-0002 Fujian pre_registered
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from storage import audit
from storage import registrations as repo
from storage.crypto import vault_for
from storage.delivery import Delivery
from storage.records import change_status
from storage.staff import BASE_STAFF, COORDINATOR
from storage.status_imports import StatusImport
from storage.subscriptions import ensure_subscribed
from storage.users import set_campaign, touch_user
from tests.harness import Calls, Harness
from tests.registration_helpers import applicant, id_number
from tests.staff_helpers import ADMIN, ANLU_STAFF, COORD, HANCHUAN_STAFF, XG, give_role, tick

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PEOPLE: dict[int, tuple[str, tuple[str, ...]]] = {
    31: ("pre_registered", ("hanchuan",)), 32: ("officially_registered", ("hanchuan",)),
    33: ("review_passed", ("xiaogan_first",)), 34: ("pre_registered", ("anlu_puai",)),
    35: ("pre_registered", ()), 36: ("reported", ("hanchuan",)),
    37: ("withdrawn", ("hanchuan",)), 38: ("pre_registered", ("hanchuan",)),
    39: ("pre_registered", ("hanchuan",)),
}
IDS = {uid: id_number(f"4209021999010{uid}12") for uid in (*PEOPLE, 50, 51)}
FUJIAN = {50: "admitted", 51: "pre_registered"}
OUTSIDER = 4001


def receipt(uid: int) -> str:
    return f"XG2023-{uid - 30:04d}"


async def _fill(h: Harness) -> None:
    vault = vault_for(h.services.settings)
    now = h.clock.now()
    async with h.services.sessionmaker() as session, session.begin():
        for uid in (*PEOPLE, *FUJIAN):
            slug = "fujian-2023" if uid in FUJIAN else XG
            await touch_user(session, user_id=uid, first_name=f"申请人{uid}", last_name=None,
                             username=None, now=now)
            await set_campaign(session, user_id=uid, slug=slug)
            await ensure_subscribed(session, user_id=uid, slug=slug, now=now)  # as /register does
            status, bases = PEOPLE.get(uid, (FUJIAN.get(uid, ""), ()))
            made = await repo.create(
                session, vault=vault, campaign_slug=slug,
                receipt_prefix="FJ2023" if uid in FUJIAN else "XG2023", user_id=uid,
                applicant=applicant(id_number=IDS[uid], base_choices=bases, name=f"学员{uid}"),
                verdict="eligible", conditions=[], now=now)
            registration = made.registration
            assert registration is not None
            if status != "pre_registered":
                await repo.set_status(session, registration=registration, status=status, now=now)


@pytest.fixture
async def bot(db_url: str, tmp_path) -> AsyncIterator[Harness]:
    h = await Harness.create(db_url, var_dir=tmp_path / "var", admins=[ADMIN])
    await _fill(h)
    await give_role(h, COORD, COORDINATOR, XG)
    await give_role(h, HANCHUAN_STAFF, BASE_STAFF, XG, "hanchuan")
    await give_role(h, ANLU_STAFF, BASE_STAFF, XG, "anlu_puai")
    yield h
    await h.close()


async def export(h: Harness, user: int, button: str = "📥 导出报名名单",
                 campaign: str | None = None) -> tuple[Any, Calls]:
    await h.send("/staff", user)
    calls = await h.press("📤 导出/导入", user)
    if campaign is not None:
        calls = await h.press(campaign, user)
    assert button in calls.labels, calls.labels
    calls = await h.press(button, user)
    sent = [c for c in calls if c.method == "sendDocument"]
    assert len(sent) == 1, calls.methods()
    data = next(iter(sent[0].files.values()))
    return load_workbook(io.BytesIO(data)), calls


def save(workbook: Any) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def columns(sheet: Any) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1]}


def find_row(workbook: Any, receipt_no: str) -> tuple[Any, int]:
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            continue
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row, 1).value == receipt_no:
                return sheet, row
    raise AssertionError(receipt_no)


def edit(workbook: Any, receipt_no: str, **values: str) -> None:
    sheet, row = find_row(workbook, receipt_no)
    where = columns(sheet)
    for header, value in values.items():
        sheet.cell(row, where[header]).value = value


async def upload(h: Harness, user: int, data: bytes, name: str = "名单.xlsx") -> Calls:
    return await h.send_content("document", user, file_name=name, mime_type=XLSX, data=data)


async def statuses(h: Harness) -> dict[int, str]:
    async with h.services.sessionmaker() as session:
        found = (await session.exec(select(repo.Registration))).all()
    return {r.user_id: r.status for r in found}


async def status_notices(h: Harness) -> list[int]:
    async with h.services.sessionmaker() as session:
        rows = (await session.exec(select(Delivery).where(
            Delivery.message_key.startswith("status:")))).all()
    return sorted(r.user_id for r in rows)


async def test_export_is_a_workbook_coordinators_can_edit(bot: Harness) -> None:
    h = bot
    workbook, calls = await export(h, COORD)
    document = next(c for c in calls if c.method == "sendDocument")
    assert document.result.document.file_name == "孝感2023-报名名单-20230510.xlsx"
    assert "共 8 人，4 个工作表" in document.text
    visible = [s.title for s in workbook.worksheets if s.sheet_state == "visible"]
    assert visible == ["孝感市第一人民医院", "汉川市人民医院", "安陆市普爱医院", "未选基地"]
    hanchuan = workbook["汉川市人民医院"]
    where = columns(hanchuan)
    assert [hanchuan.cell(r, 1).value for r in range(2, hanchuan.max_row + 1)] == \
        [receipt(u) for u in (31, 32, 36, 38, 39)]  # 37 withdrew
    id_cell = hanchuan.cell(2, where["身份证号"])
    assert id_cell.value == IDS[31] and isinstance(id_cell.value, str)
    assert id_cell.number_format == "@"
    assert hanchuan.freeze_panes == "A2"
    key = hanchuan.cell(1, hanchuan.max_column)
    assert key.value == "校验（请勿修改）"
    assert hanchuan.column_dimensions[key.column_letter].hidden
    rules = hanchuan.data_validations.dataValidation
    status_rule = next(r for r in rules if r.type == "list")
    assert "资格审核通过" in status_rule.formula1 and "放弃" in status_rule.formula1
    assert str(status_rule.sqref).startswith(f"{hanchuan.cell(2, where['状态']).coordinate}")
    assert workbook["未选基地"].cell(2, 1).value == receipt(35)
    async with h.services.sessionmaker() as session:
        entries = await audit.latest(session, campaigns=[XG])
    entry = next(e for e in entries if e.action == "record.export")
    assert entry.actor_id == COORD and entry.audience_size == 8
    assert IDS[31] not in entry.detail and "ids=full" in entry.detail


async def test_round_trip_admits_three_and_tells_them_once(bot: Harness) -> None:
    h = bot
    workbook, _ = await export(h, COORD)
    for uid in (31, 32, 33):
        edit(workbook, receipt(uid), 状态="已录取")
    edit(workbook, receipt(38), 状态="资格审核不通过", 原因="学历不符")
    calls = await upload(h, COORD, save(workbook))
    preview = calls.last
    assert "将修改 <b>4</b> 人" in preview.text
    assert "已录取：3 人" in preview.text and "资格审核不通过：1 人" in preview.text
    assert "未改动：4 行" in preview.text
    assert await statuses(h) == {**{u: s for u, (s, _) in PEOPLE.items()}, **FUJIAN}
    assert await status_notices(h) == []  # nothing until confirmed
    confirm = next(d for label, d in preview.buttons if label == "✅ 确认导入")
    done = await h.press("✅ 确认导入", COORD)
    assert "已修改 <b>4</b> 人" in done.text
    again = await h.press_data(confirm, COORD)  # a double tap
    assert "已经导入过" in again.text
    now = await statuses(h)
    assert [now[u] for u in (31, 32, 33, 38)] == ["admitted"] * 3 + ["review_failed"]
    assert await status_notices(h) == [31, 32, 33, 38]
    sent = await tick(h)
    admitted = [int(c.chat_id) for c in sent if c.method == "sendMessage" and "录取通知" in c.text]
    assert sorted(admitted) == [31, 32, 33]
    assert not any("录取通知" in c.text for c in await tick(h))  # once
    async with h.services.sessionmaker() as session:
        item = (await session.exec(select(StatusImport))).one()
        reason = (await session.exec(select(repo.Registration).where(
            repo.Registration.user_id == 38))).one().status_reason
    assert item.state == "applied" and item.applied == 4 and reason == "学历不符"


async def test_every_row_refusal_is_listed_and_the_rest_applies(bot: Harness) -> None:
    h = bot
    workbook, _ = await export(h, COORD)
    edit(workbook, receipt(31), 状态="已录取")  # the one good change
    edit(workbook, receipt(36), 状态="资格审核通过")  # 已报到 → 资格审核通过: impossible
    edit(workbook, receipt(34), 状态="资格审核通过", 身份证号=IDS[50])  # a changed ID
    edit(workbook, receipt(35), 状态="录取了")  # not a status
    edit(workbook, receipt(38), 状态="放弃")  # no reason
    edit(workbook, receipt(39), 回执号="XG2023-0099", 状态="已录取")  # receipt typed over
    sheet, row = find_row(workbook, receipt(32))
    copy = [c.value for c in sheet[row]]
    sheet.append([*copy[:-1], "xiaogan-2023/XG2023-0777"])  # a receipt nobody holds
    sheet.append(copy)  # the same receipt twice
    calls = await upload(h, COORD, save(workbook))
    text = calls.last.text
    assert "将修改 <b>1</b> 人" in text and "不能导入 7 行" in text
    for why in ("当前状态“已报到”不能改为“资格审核通过”", "身份证号与登记的不一致",
                "“录取了”不是可设置的状态", "改为“放弃”须在“原因”列填写原因",
                "回执号被改动", "找不到这个回执号", "同一回执号出现了不止一次"):
        assert why in text, why
    assert f"（汉川市人民医院）{receipt(36)}" in text
    assert IDS[50] not in text
    await h.press("✅ 确认导入", COORD)
    now = await statuses(h)
    assert now[31] == "admitted"
    assert [now[u] for u in (34, 35, 36, 38, 39)] == [PEOPLE[u][0] for u in (34, 35, 36, 38, 39)]
    assert await status_notices(h) == [31]


async def test_a_row_changed_since_the_preview_is_refused_at_confirm(bot: Harness) -> None:
    h = bot
    workbook, _ = await export(h, COORD)
    edit(workbook, receipt(31), 状态="资格审核通过")
    edit(workbook, receipt(32), 状态="资格审核通过")
    await upload(h, COORD, save(workbook))
    async with h.services.sessionmaker() as session, session.begin():
        record = (await session.exec(select(repo.Registration).where(
            repo.Registration.user_id == 32))).one()
        await change_status(session, registration=record, status="review_failed", reason="材料不全",
                            actor_id=HANCHUAN_STAFF, actor_label="", actor_role=BASE_STAFF,
                            now=h.clock.now(), source="chat")
    done = await h.press("✅ 确认导入", COORD)
    assert "已修改 <b>1</b> 人" in done.text and "预览后状态已被他人修改" in done.text
    assert (await statuses(h))[32] == "review_failed"


@pytest.mark.parametrize(("name", "data", "size", "expected"), [
    ("名单.xlsx", b"this is not a spreadsheet", None, "不是 XLSX 格式"),
    ("名单.xlsx", b"PK\x03\x04broken zip", None, "不是 XLSX 格式"),
    ("名单.xlsx", None, 6 * 1024 * 1024, "文件太大"),
])
async def test_a_bad_file_is_refused_whole(bot: Harness, name: str, data: bytes | None,
                                           size: int | None, expected: str) -> None:
    h = bot
    extra: dict[str, Any] = {"data": data} if data is not None else {"size": size}
    calls = await h.send_content("document", COORD, file_name=name, mime_type=XLSX, **extra)
    assert expected in calls.text and "未做任何修改" in calls.text
    assert not any(c.method == "getFile" for c in calls) or data is not None


async def test_wrong_headers_and_other_campaigns_are_refused_whole(bot: Harness) -> None:
    h = bot
    plain = Workbook()
    plain.active.append(["回执号", "姓名", "状态"])
    plain.active.append([receipt(31), "学员31", "已录取"])
    calls = await upload(h, COORD, save(plain))
    assert "表头不对" in calls.text and "校验（请勿修改）" in calls.text
    fujian, _ = await export(h, ADMIN, campaign="福建省 2023 助理全科医生培训（社会人）")
    # Into Xiaogan's upload: another campaign's file.
    await h.send("/staff", COORD)
    await h.press("📤 导出/导入", COORD)
    await h.press("📤 导入修改后的文件", COORD)
    edit(fujian, "FJ2023-0001", 状态="已报到")
    calls = await upload(h, COORD, save(fujian))
    assert "属于另一个招录项目" in calls.text
    await h.send("/cancel", COORD)  # a refused file keeps the upload waiting; now it ends
    # A coordinator of Xiaogan only: a Fujian file is not theirs.
    calls = await upload(h, COORD, save(fujian))
    assert "没有权限" in calls.text
    # A Fujian row pasted into Xiaogan's file.
    xiaogan, _ = await export(h, COORD)
    edit(xiaogan, receipt(31), 状态="已录取")
    sheet = next(s for s in fujian.worksheets if s.sheet_state == "visible")
    xiaogan["汉川市人民医院"].append([c.value for c in sheet[2]])
    calls = await upload(h, COORD, save(xiaogan))
    assert "1 行来自其他招录项目" in calls.text
    assert (await statuses(h))[31] == "pre_registered"
    assert (await statuses(h))[50] == "admitted"


async def test_upload_state_wants_an_xlsx(bot: Harness) -> None:
    h = bot
    await h.send("/staff", COORD)
    await h.press("📤 导出/导入", COORD)
    calls = await h.press("📤 导入修改后的文件", COORD)
    assert "请把修改后的 XLSX 文件发给我" in calls.text
    calls = await h.send_content("sticker", COORD)
    assert "请发送 XLSX 文件" in calls.text
    calls = await h.send_content("document", COORD, file_name="名单.xls",
                                 mime_type="application/vnd.ms-excel", data=b"\xd0\xcf\x11\xe0")
    assert "不是 XLSX 格式" in calls.text
    calls = await h.send("/cancel", COORD)
    assert "已取消" in calls.text


async def test_stale_expired_and_cancelled_previews_change_nothing(bot: Harness) -> None:
    h = bot
    workbook, _ = await export(h, COORD)
    edit(workbook, receipt(31), 状态="已录取")
    data = save(workbook)
    await upload(h, COORD, data)
    calls = await h.press("✖ 取消", COORD)
    assert "已取消导入" in calls.text
    first = await upload(h, COORD, data)
    h.clock.set(h.clock.now() + timedelta(days=1, minutes=1))
    calls = await h.press("✅ 确认导入", COORD)
    assert "已于" in calls.text and "过期" in calls.text
    assert (await statuses(h))[31] == "pre_registered"
    # Someone else's preview: the button is not theirs (falls through as any stale button).
    confirm = next(d for label, d in first.last.buttons if label == "✅ 确认导入")
    calls = await h.press_data(confirm, ADMIN)
    assert "导入" not in calls.text
    assert await status_notices(h) == []


async def test_the_preview_survives_a_restart(bot: Harness) -> None:
    h = bot
    workbook, _ = await export(h, COORD)
    edit(workbook, receipt(31), 状态="已录取")
    await upload(h, COORD, save(workbook))
    h = await h.restart()
    calls = await h.press("✅ 确认导入", COORD)
    assert "已修改 <b>1</b> 人" in calls.text
    assert (await statuses(h))[31] == "admitted"


async def test_base_staff_see_their_base_masked_and_change_only_it(bot: Harness) -> None:
    h = bot
    mine, calls = await export(h, HANCHUAN_STAFF)
    assert [s.title for s in mine.worksheets if s.sheet_state == "visible"] == ["汉川市人民医院"]
    sheet = mine["汉川市人民医院"]
    where = columns(sheet)
    assert sheet.cell(2, where["身份证号"]).value == IDS[31][:4] + "*" * 10 + IDS[31][-4:]
    assert "13812345678" not in [sheet.cell(2, where["手机号"]).value]
    assert "汉川市人民医院-报名名单" in calls.last.result.document.file_name
    edit(mine, receipt(31), 状态="资格审核通过")  # masked ID left as exported: fine
    full, _ = await export(h, COORD)
    edit(full, receipt(34), 状态="资格审核通过")  # 安陆: not theirs
    edit(full, receipt(32), 状态="资格审核通过")
    calls = await upload(h, HANCHUAN_STAFF, save(full))
    assert "不在您负责的基地" in calls.last.text and receipt(34) in calls.last.text
    assert "将修改 <b>1</b> 人" in calls.last.text
    await h.press("✅ 确认导入", HANCHUAN_STAFF)
    calls = await upload(h, HANCHUAN_STAFF, save(mine))
    await h.press("✅ 确认导入", HANCHUAN_STAFF)
    now = await statuses(h)
    assert (now[31], now[32], now[34]) == ("review_passed", "review_passed", "pre_registered")
    # Anlu's staff cannot confirm Hanchuan's preview, nor see it.
    edit(mine, receipt(38), 状态="资格审核通过")
    preview = await upload(h, HANCHUAN_STAFF, save(mine))
    confirm = next(d for label, d in preview.last.buttons if label == "✅ 确认导入")
    calls = await h.press_data(confirm, ANLU_STAFF)
    assert (await statuses(h))[38] == "pre_registered" and "导入完成" not in calls.text


async def test_an_applicant_sending_an_xlsx_meets_no_staff_feature(bot: Harness) -> None:
    h = bot
    workbook, _ = await export(h, COORD)
    calls = await upload(h, OUTSIDER, save(workbook))
    assert not any("导入" in t or "表头" in t for t in calls.texts)
    assert not any(c.method == "getFile" for c in calls)


async def test_fujian_summary_table_is_a_second_choice(bot: Harness) -> None:
    h = bot
    await h.send("/staff", ADMIN)
    calls = await h.press("📤 导出/导入", ADMIN)
    calls = await h.press("孝感市 2023 助理全科医生培训（西医）", ADMIN)
    assert not any("汇总表" in label for label in calls.labels)  # Xiaogan describes none
    workbook, calls = await export(h, ADMIN, "📄 培训对象汇总表（含未报到名单及原因）",
                                   campaign="福建省 2023 助理全科医生培训（社会人）")
    assert "9月7日前" in calls.last.text
    sheet = next(s for s in workbook.worksheets if s.sheet_state == "visible")
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["回执号", "姓名", "性别", "身份证号"]
    assert "未报到原因" in headers and "报到情况" in headers
    assert sheet.cell(2, 1).value == "FJ2023-0001" and sheet.cell(2, 4).value == IDS[50]
    assert sheet.cell(2, 3).value in ("男", "女")
    assert workbook["_zhaolu"].sheet_state == "hidden"


def test_in_the_shell_three_marked_admitted_are_told(monkeypatch, capsys, db_url,
                                                     tmp_path) -> None:
    """As the issue's done-when: applicants pre-register by typing; the admin exports in
    `zhaolu shell`, marks three 已录取 in the saved file, `:upload`s it, confirms; `:tick`."""
    from tests.test_shell import shell, turns
    from tests.test_shell_staff import pre_register

    monkeypatch.setenv("ZHAOLU_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ZHAOLU_ADMINS", str(ADMIN))
    people = [(11, "王小明", "42098419990101123X", "13812345678"),
              (12, "李华", "420984199802022347", "13912345678"),
              (13, "张丽", "42090219970303345X", "13712345678"),
              (14, "赵强", id_number("42090219960404123"), "13612345678")]
    first = [line for uid, name, number, phone in people
             for line in pre_register(uid, name, number, phone, "汉川市人民医院（6人）")]
    first += [f":user {ADMIN}", "/staff", "📤 导出/导入", "孝感市 2023 助理全科医生培训（西医）",
              "📥 导出报名名单"]
    out = turns(shell(monkeypatch, capsys, db_url, first, "--jsonl"))
    saved = [o["note"] for o in out[-1] if "note" in o]
    assert len(saved) == 1 and saved[0].endswith(".xlsx")
    path = saved[0].split(" to ", 1)[1]
    workbook = load_workbook(path)
    for number in ("XG2023-0001", "XG2023-0002", "XG2023-0004"):
        edit(workbook, number, 状态="已录取")
    workbook.save(path)
    second = [f":user {ADMIN}", f":upload {path}", "✅ 确认导入", ":tick"]
    _, preview, done, tick_out = turns(shell(monkeypatch, capsys, db_url, second, "--jsonl"))
    assert "将修改 <b>3</b> 人" in preview[-1]["text"]
    assert "已修改 <b>3</b> 人" in done[-1]["text"]
    told = sorted(o["chat_id"] for o in tick_out
                  if o.get("method") == "sendMessage" and "录取通知" in o.get("text", ""))
    assert told == [11, 12, 14]


async def test_a_long_refusal_list_comes_as_a_txt(bot: Harness) -> None:
    h = bot
    workbook, _ = await export(h, COORD)
    edit(workbook, receipt(31), 状态="已录取")
    sheet, row = find_row(workbook, receipt(32))
    copy = [c.value for c in sheet[row]]
    for n in range(20):  # twenty receipts nobody holds
        sheet.append([f"XG2023-{900 + n}", *copy[1:-1], f"xiaogan-2023/XG2023-{900 + n}"])
    preview = await upload(h, COORD, save(workbook))
    assert "不能导入 20 行" in preview.last.text and "另有 10 行" in preview.last.text
    done = await h.press("✅ 确认导入", COORD)
    assert "未能修改 20 行" in done.text and "完整列表见附件" in done.text
    txt = next(c for c in done if c.method == "sendDocument")
    body = next(iter(txt.files.values())).decode("utf-8")
    assert body.count("找不到这个回执号") == 20 and "XG2023-919" in body
    assert txt.result.document.file_name.endswith(".txt")
    assert (await statuses(h))[31] == "admitted"


async def test_the_summary_table_comes_back_too(bot: Harness) -> None:
    """Fujian's 汇总表 holds 报到情况 and 未报到原因: a base fills them in and sends it back."""
    h = bot
    workbook, _ = await export(h, ADMIN, "📄 培训对象汇总表（含未报到名单及原因）",
                               campaign="福建省 2023 助理全科医生培训（社会人）")
    sheet = next(s for s in workbook.worksheets if s.sheet_state == "visible")
    where = columns(sheet)
    sheet.cell(2, where["报到情况"]).value = "放弃"
    sheet.cell(2, where["未报到原因"]).value = "已考取编制岗位"
    preview = await upload(h, ADMIN, save(workbook))
    assert "放弃：1 人" in preview.last.text
    await h.press("✅ 确认导入", ADMIN)
    assert (await statuses(h))[50] == "gave_up"


async def test_admitted_by_import_then_hear_the_report_in_reminders(bot: Harness) -> None:
    """Fujian dates its report-in (8月31日): those the import admits get the reminders."""
    from bot.clock import parse_moment

    h = bot
    workbook, _ = await export(h, ADMIN, campaign="福建省 2023 助理全科医生培训（社会人）")
    edit(workbook, "FJ2023-0002", 状态="已录取")
    await upload(h, ADMIN, save(workbook))
    await h.press("✅ 确认导入", ADMIN)
    told = await tick(h)
    assert [int(c.chat_id) for c in told if "录取通知" in c.text] == [51]
    h.clock.set(parse_moment("2023-08-24T09:00:00+08:00"))  # 7 days before the deadline
    reminded = await tick(h)
    report_in = sorted(int(c.chat_id) for c in reminded
                       if c.method == "sendMessage" and "到培训基地报到" in c.text)
    assert report_in == [50, 51]


async def test_a_file_telegram_will_not_hand_over_is_asked_again(bot: Harness) -> None:
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.methods import GetFile

    def refuse(call: Any) -> None:
        raise TelegramBadRequest(GetFile(file_id=call.params["file_id"]),
                                 "Bad Request: file is too big")

    h = bot
    workbook, _ = await export(h, COORD)
    edit(workbook, receipt(31), 状态="已录取")
    h.session.responders["getFile"] = refuse
    calls = await upload(h, COORD, save(workbook))
    assert "没能从 Telegram 取得这个文件" in calls.last.text
    assert (await statuses(h))[31] == "pre_registered"
