"""The workbook and its reading, without the chat: layout, file refusals, row checks, the schema
of extra tables (check-content accepts Fujian's 汇总表 and names an unknown field)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bot.cli import main as cli
from bot.xlsx_export import (
    Column,
    build_workbook,
    field_values,
    main_columns,
    split_by_base,
)
from bot.xlsx_import import ImportFileError, read_file, validate
from content.catalogue import Catalogue
from content.schema import Campaign
from content.schema_export import STATUS_IDS
from content.texts import default_texts
from storage.registrations import STATUSES, Registration
from tests.registration_helpers import id_number

TEXTS = default_texts()
NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
ID = id_number("42090219990101123")


def record(n: int, status: str = "pre_registered", bases: tuple[str, ...] = ("hanchuan",)
           ) -> Registration:
    return Registration(id=n, campaign_slug="xiaogan-2023", user_id=100 + n, status=status,
                        receipt_no=f"XG2023-{n:04d}", id_cipher="x", id_hash=f"h{n}",
                        active_id_hash=f"h{n}", id_masked="4209**********1234", name=f"学员{n}",
                        phone="13812345678", school="某学院", graduation_year=2022,
                        education="zk", major="临床医学", qualification="none",
                        person_type="social", base_choices=list(bases), verdict="eligible",
                        created_at=NOW, updated_at=NOW)


def workbook_of(campaign: Campaign, records: list[Registration], masked: bool = False) -> bytes:
    pairs = [(r, field_values(r, ID, campaign, TEXTS, masked=masked)) for r in records]
    return build_workbook(campaign=campaign, texts=TEXTS, columns=main_columns(TEXTS),
                          sheets=split_by_base(campaign, TEXTS, pairs), table_id="main",
                          masked=masked, exported_at=NOW.isoformat())


def columns_of(slug: str, table: str) -> list[Column] | None:
    return main_columns(TEXTS) if table == "main" else None


def test_the_status_vocabulary_matches_storage() -> None:
    assert set(STATUS_IDS) == set(STATUSES)


def test_layout_id_as_text_and_gender_from_the_number(xiaogan: Campaign) -> None:
    data = workbook_of(xiaogan, [record(1), record(2, bases=("anlu_puai", "hanchuan")),
                                 record(3, bases=())])
    book = load_workbook(io.BytesIO(data))
    assert [s.title for s in book.worksheets] == ["汉川市人民医院", "安陆市普爱医院", "未选基地",
                                                  "_zhaolu"]
    sheet = book["汉川市人民医院"]
    assert sheet["E2"].value == ID and sheet["E2"].number_format == "@"
    values = field_values(record(1), ID, xiaogan, TEXTS, masked=True)
    assert values["id_number"] == "4209**********1234" and values["phone"] == "138****5678"
    assert values["gender"] == "男" and values["birth_date"] == "1999-01-01"
    assert field_values(record(1), None, xiaogan, TEXTS, masked=False)["gender"] == ""


def _read(data: bytes) -> Any:
    return read_file(data, texts=TEXTS, columns_of=columns_of)


def test_file_refusals() -> None:
    for data, code in ((b"plain text", "not_xlsx"), (b"PK\x03\x04" + b"\0" * 40, "not_xlsx"),
                       (b"PK" + b"\0" * (5 * 1024 * 1024), "too_big")):
        with pytest.raises(ImportFileError) as caught:
            _read(data)
        assert caught.value.code == code
    plain = Workbook()
    plain.active.append(["姓名", "状态"])
    out = io.BytesIO()
    plain.save(out)
    with pytest.raises(ImportFileError) as caught:
        _read(out.getvalue())
    assert caught.value.code == "headers"


def test_rows_are_judged_one_by_one(xiaogan: Campaign) -> None:
    records = [record(1), record(2, "reported"), record(3), record(4, bases=("anlu_puai",)),
               record(5, "withdrawn"), record(6)]
    book = load_workbook(io.BytesIO(workbook_of(xiaogan, records)))
    sheet = book["汉川市人民医院"]
    sheet["B2"] = "已录取"  # 1: fine
    sheet["B3"] = "已预登记"  # 2 reported → pre_registered: not a staff status
    sheet["B4"] = "放弃"  # 3: no reason
    book["安陆市普爱医院"]["B2"] = "资格审核通过"  # 4: another base
    sheet["B5"] = "已录取"  # 5: withdrew
    sheet["B6"], sheet["C6"] = "放弃", f"本人来电（{ID}）说不来了"  # 6: the number is masked
    out = io.BytesIO()
    book.save(out)
    parsed = _read(out.getvalue())
    assert parsed.campaign_slug == "xiaogan-2023" and len(parsed.rows) == 6
    preview = validate(parsed, registrations={r.receipt_no: r for r in records}, texts=TEXTS,
                       scope_base="hanchuan", id_matches=lambda r, cell: cell == ID)
    assert [(c.receipt, c.old, c.new) for c in preview.changes] == [
        ("XG2023-0001", "pre_registered", "admitted"), ("XG2023-0006", "pre_registered",
                                                         "gave_up")]
    assert ID not in (preview.changes[1].reason or "") and "说不来了" in preview.changes[1].reason
    assert [(r.receipt, r.code) for r in preview.refusals] == [
        ("XG2023-0002", "unknown_status"), ("XG2023-0003", "reason"),
        ("XG2023-0005", "withdrawn"), ("XG2023-0004", "scope")]
    assert preview.unchanged == 0


def test_check_content_accepts_the_summary_table_and_names_an_unknown_field(
        catalogue: Catalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fujian = catalogue.get("fujian-2023")
    assert fujian is not None and [t.id for t in fujian.exports] == ["summary"]
    assert set(fujian.exports[0].statuses) == {"admitted", "reported", "gave_up"}
    source = Path(__file__).resolve().parent.parent / "content" / "campaigns" / "fujian-2023.yaml"
    assert cli(["check-content", str(source)]) == 0
    broken = tmp_path / "fujian-2023.yaml"
    broken.write_text(source.read_text(encoding="utf-8").replace(
        "{header: 性别, field: gender}", "{header: 民族, field: ethnicity}"), encoding="utf-8")
    capsys.readouterr()
    assert cli(["check-content", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "exports[0].columns[2].field" in out and "（现在是 'ethnicity'）" in out


def test_the_fast_reader_reads_what_openpyxl_reads(xiaogan: Campaign) -> None:
    from bot.xlsx_import import _fast_sheets, _openpyxl_sheets

    exported = workbook_of(xiaogan, [record(1), record(2, bases=()), record(3)])
    book = load_workbook(io.BytesIO(exported))
    book["汉川市人民医院"]["B3"] = "已录取"  # an edit saved by openpyxl: shared strings
    book["汉川市人民医院"]["T5"] = 4.20902199901011e17  # a number, as Excel shows it
    saved = io.BytesIO()
    book.save(saved)
    for data in (exported, saved.getvalue()):
        fast, close_fast = _fast_sheets(data)
        slow, close_slow = _openpyxl_sheets(data)
        try:
            def values(sheets: Any) -> list[tuple[str, dict[int, tuple[Any, ...]]]]:
                """Rows by number, blank rows left out (openpyxl yields them, we skip them)."""
                return [(title, {n: tuple(row) + (None,) * (20 - len(row))
                                 for n, row in lines if any(v is not None for v in row)})
                        for title, lines in sheets]

            assert values(fast) == values(slow)
        finally:
            close_fast()
            close_slow()
