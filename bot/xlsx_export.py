"""The export workbook: one sheet per base, as coordinators keep it, built to come back.

Both the chat (/staff → 📤 导出/导入) and `zhaolu export` build it here. What makes the file safe
to edit in Excel or WPS and send back (bot/xlsx_import.py reads it):
- the ID number is a text cell (number format "@", a string value): Excel keeps all 18 digits
  instead of turning them into 4.20902E+17;
- the 状态 column offers the Chinese status labels as a drop-down (data validation);
- a hidden last column, 校验（请勿修改）, holds "campaign/receipt" for every row, and a hidden sheet
  records the campaign, the table and whether IDs are masked: a row is matched by its receipt
  number, a row from another campaign's file is recognised, and a changed ID is refused.
An applicant appears on the sheet of their first choice; those with none on "未选基地". Staff of
one base get that base's sheet only, listing everyone who chose the base, with IDs masked.
No aiogram, no database: rows come in as registrations (any object with their attributes).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from content.registration_text import field_value, status_text
from content.schema import Campaign
from content.schema_export import STATUS_IDS, ExportTable
from content.texts import Texts

# The full list's columns, in order (headers: texts "export.field.<field>").
MAIN_FIELDS = (
    "receipt_no", "status", "status_reason", "name", "id_number", "birth_date", "phone",
    "school", "graduation_year", "education", "major", "qualification", "person_type", "bases",
    "adjustment", "verdict", "conditions", "created_at", "updated_at",
)
MAIN_TABLE = "main"
META_SHEET = "_zhaolu"
NO_BASE = ""  # the sheet key of applicants who chose no base
SETTABLE = tuple(s for s in STATUS_IDS if s != "withdrawn")  # the drop-down's statuses
VERDICTS = {"eligible": "符合", "conditional": "有条件", "unchecked": "未自查"}
_WIDTHS = {"id_number": 22, "receipt_no": 14, "status": 14, "status_reason": 24,
           "school": 22, "bases": 24, "conditions": 30, "created_at": 17, "updated_at": 17}
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    header: str
    field: str


@dataclass(frozen=True)
class Sheet:
    base_id: str  # NO_BASE for "未选基地"
    title: str
    rows: list[dict[str, Any]]


def main_columns(texts: Texts) -> list[Column]:
    return [Column(texts(f"export.field.{f}"), f) for f in MAIN_FIELDS]


def table_columns(table: ExportTable) -> list[Column]:
    return [Column(c.header, c.field) for c in table.columns]


def columns_of(texts: Texts, catalogue: Any, slug: str, table_id: str) -> list[Column] | None:
    """The columns of a file's table: the full list, or a table of the file's campaign."""
    if table_id == MAIN_TABLE:
        return main_columns(texts)
    campaign = catalogue.get(slug)
    table = next((t for t in campaign.exports if t.id == table_id), None) if campaign else None
    return table_columns(table) if table is not None else None


def key_header(texts: Texts) -> str:
    return texts("export.key_header")


def row_key(slug: str, receipt_no: str) -> str:
    return f"{slug}/{receipt_no}"


def _birth(id_number: str | None) -> tuple[str, str]:
    """(birth date, gender) from a full ID number; blank when it is not one."""
    if not id_number or len(id_number) != 18 or not id_number[:17].isdigit():
        return "", ""
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return "", ""
    return born.isoformat(), "男" if int(id_number[16]) % 2 else "女"


def field_values(registration: Any, id_number: str | None, campaign: Campaign, texts: Texts, *,
                 masked: bool) -> dict[str, Any]:
    """Every vocabulary field of one registration, as the cells show it. `id_number` is the
    decrypted number (None when it cannot be read); `masked` hides ID and phone digits."""
    answers = registration.model_dump()

    def show(field: str) -> str:
        return field_value(field, answers, campaign, texts)

    names = {b.id: b.name for b in campaign.plan.bases}
    choices = list(registration.base_choices or [])
    born, gender = _birth(id_number)
    if masked or not id_number:
        shown_id = registration.id_masked
    else:
        shown_id = id_number
    return {
        "receipt_no": registration.receipt_no, "name": registration.name, "gender": gender,
        "birth_date": born, "id_number": shown_id,
        "phone": show("phone") if masked else registration.phone,
        "school": registration.school, "graduation_year": registration.graduation_year,
        "education": show("education"), "major": registration.major,
        "qualification": show("qualification"), "person_type": show("person_type"),
        "base": names.get(choices[0], choices[0]) if choices else "",
        "bases": show("bases") if choices else "",
        "adjustment": "" if registration.accepts_adjustment is None else show("adjustment"),
        "status": status_text(registration.status, campaign, texts),
        "status_reason": getattr(registration, "status_reason", None) or "",
        "verdict": VERDICTS.get(registration.verdict, registration.verdict),
        "conditions": "；".join(registration.conditions),
        "created_at": registration.created_at.strftime("%Y-%m-%d %H:%M"),
        "updated_at": registration.updated_at.strftime("%Y-%m-%d %H:%M"),
    }


def sheet_title(texts: Texts, campaign: Campaign, base_id: str) -> str:
    if base_id == NO_BASE:
        return texts("export.sheet.no_base")
    name = next((b.name for b in campaign.plan.bases if b.id == base_id), base_id)
    return name.translate(_BAD_SHEET_CHARS)[:31]  # Excel's limits on sheet names


def split_by_base(campaign: Campaign, texts: Texts, rows: Iterable[tuple[Any, dict[str, Any]]],
                  only_base: str | None = None) -> list[Sheet]:
    """Rows (registration, values) on the sheet of their first choice, bases in the notice's
    order; `only_base`: one sheet of that base, with everyone who chose it."""
    order = [b.id for b in campaign.plan.bases]
    grouped: dict[str, list[dict[str, Any]]] = {}
    if only_base is not None:
        grouped[only_base] = []
    for registration, values in rows:
        choices = list(registration.base_choices or [])
        if only_base is not None:
            if only_base in choices:
                grouped[only_base].append(values)
            continue
        grouped.setdefault(choices[0] if choices else NO_BASE, []).append(values)
    known = [b for b in order if b in grouped] + \
        sorted(b for b in grouped if b not in order and b != NO_BASE)
    if NO_BASE in grouped:
        known.append(NO_BASE)
    if not known:
        known, grouped = [order[0] if order else NO_BASE], {order[0] if order else NO_BASE: []}
    return [Sheet(b, sheet_title(texts, campaign, b), grouped[b]) for b in known]


def build_workbook(*, campaign: Campaign, texts: Texts, columns: Sequence[Column],
                   sheets: Sequence[Sheet], table_id: str, masked: bool,
                   exported_at: str) -> bytes:
    """The XLSX bytes. Write-only mode: 20,000 rows in seconds, not minutes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    labels = ",".join(status_text(s, campaign, texts) for s in SETTABLE)
    fields = [c.field for c in columns]
    key_letter = get_column_letter(len(columns) + 1)
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.title)
        ws.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            width = _WIDTHS.get(column.field, max(10, len(column.header) * 2 + 2))
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.column_dimensions[key_letter].hidden = True
        last = len(sheet.rows) + 1
        for index, field in enumerate(fields, start=1):
            letter = get_column_letter(index)
            if field == "status":
                rule = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=False,
                                      showErrorMessage=True, errorTitle=texts("export.dv.title"),
                                      error=texts("export.dv.error"))
                rule.add(f"{letter}2:{letter}{max(last, 2)}")
                ws.data_validations.dataValidation.append(rule)
            elif field == "status_reason":
                rule = DataValidation(type="textLength", operator="lessThanOrEqual",
                                      formula1="200", allow_blank=True, showInputMessage=True,
                                      promptTitle=texts("export.dv.reason_title"),
                                      prompt=texts("export.dv.reason_prompt"))
                rule.add(f"{letter}2:{letter}{max(last, 2)}")
                ws.data_validations.dataValidation.append(rule)
        header = []
        for column in [*columns, Column(key_header(texts), "_key")]:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font = bold
            if column.field in ("status", "status_reason"):
                cell.fill = fill
            header.append(cell)
        ws.append(header)
        for values in sheet.rows:
            line: list[Any] = []
            for field in fields:
                value = values.get(field, "")
                if field in ("id_number", "phone", "receipt_no"):
                    cell = WriteOnlyCell(ws, value=str(value))
                    cell.number_format = "@"
                    line.append(cell)
                else:
                    line.append(value)
            line.append(row_key(campaign.slug, values["receipt_no"]))
            ws.append(line)
    meta = workbook.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for row in (("campaign", campaign.slug), ("table", table_id),
                ("masked", "1" if masked else "0"), ("exported_at", exported_at),
                ("note", texts("export.meta_note"))):
        meta.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Export:
    """A built file and what its caption and the audit say about it."""

    data: bytes
    rows: int
    sheets: int
    file_name: str


async def export_file(session: Any, *, campaign: Campaign, texts: Texts, vault: Any,
                      table: ExportTable | None, only_base: str | None, masked: bool,
                      now: Any) -> Export:
    """Query, decrypt and build: the full list (`table` None: every record but withdrawn ones)
    or one of the campaign's tables, for the whole campaign or one base."""
    from sqlmodel import col, select

    from storage.registrations import WITHDRAWN, Registration

    statement = select(Registration).where(Registration.campaign_slug == campaign.slug)
    if table is None:
        statement = statement.where(Registration.status != WITHDRAWN)
    else:
        statement = statement.where(col(Registration.status).in_(list(table.statuses)))
    found = (await session.exec(statement.order_by(col(Registration.id)))).all()

    # Decrypting and writing 20,000 rows takes seconds of CPU: off the event loop, so the bot
    # keeps answering everyone else meanwhile.
    return await asyncio.to_thread(_assemble, found, campaign=campaign, texts=texts, vault=vault,
                                   table=table, only_base=only_base, masked=masked, now=now)


def _assemble(found: Sequence[Any], *, campaign: Campaign, texts: Texts, vault: Any,
              table: ExportTable | None, only_base: str | None, masked: bool,
              now: Any) -> Export:
    def readable(registration: Any) -> str | None:
        try:
            return vault.decrypt(registration.id_cipher)
        except Exception:  # a row whose cipher this key cannot open: show the masked form
            return None

    pairs = [(r, field_values(r, readable(r), campaign, texts, masked=masked)) for r in found]
    sheets = split_by_base(campaign, texts, pairs, only_base)
    columns = main_columns(texts) if table is None else table_columns(table)
    data = build_workbook(campaign=campaign, texts=texts, columns=columns, sheets=sheets,
                          table_id=MAIN_TABLE if table is None else table.id, masked=masked,
                          exported_at=now.isoformat())
    what = texts("export.file.main") if table is None else table.title
    where = f"{sheet_title(texts, campaign, only_base)}-" if only_base else ""
    region = campaign.name.split()[0].removesuffix("市").removesuffix("省")
    name = f"{region}{campaign.year}-{where}{what}-{now:%Y%m%d}.xlsx"
    return Export(data, sum(len(s.rows) for s in sheets), len(sheets),
                  name.translate(_BAD_SHEET_CHARS))
