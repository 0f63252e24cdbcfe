"""Reading an edited export back: the file's checks, then every row's, before anything changes.

`read_file` refuses the whole file (ImportFileError, nothing changed) when it is not an XLSX
workbook (or is corrupt), has no sheet with the export's headers, or holds rows of another
campaign. `validate` then judges each row against the records as they are now and the sender's
scope: unknown receipt, a receipt or ID number changed, a base outside the scope, an unknown
status label, an impossible transition, a missing reason (storage/records.py `check_change`,
the same rules as the chat's status buttons). Unchanged rows are counted and otherwise ignored.
No aiogram and no queries: the caller hands in the records by receipt number.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.xlsx_export import META_SHEET, SETTABLE, Column, key_header
from bot.xlsx_read import Unreadable, Workbook
from content.masking import mask_personal_numbers
from content.texts import Texts
from storage.records import StatusRefused, check_change, clean_reason
from storage.registrations import STATUSES, Registration

MAX_BYTES = 5 * 1024 * 1024
REQUIRED = ("receipt_no", "id_number", "status")
REFUSAL_CODES = ("unknown_receipt", "receipt_changed", "duplicate", "scope", "id_changed",
                 "unknown_status", "withdrawn", "transition", "reason", "changed_since")


class ImportFileError(Exception):
    """The whole file is refused; `code` picks the message (texts "import.file.<code>")."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Row:
    sheet: str
    number: int  # the row number Excel shows
    key_slug: str
    key_receipt: str
    receipt: str
    id_cell: str
    label: str
    reason: str


@dataclass
class ParsedFile:
    campaign_slug: str
    table_id: str
    rows: list[Row]


@dataclass(frozen=True)
class Change:
    sheet: str
    row: int
    registration_id: int
    receipt: str
    old: str
    new: str
    reason: str | None


@dataclass(frozen=True)
class Refusal:
    sheet: str
    row: int
    receipt: str
    code: str
    detail: str = ""  # a status label or a status id; never an ID number


@dataclass
class Preview:
    changes: list[Change] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in self.changes:
            out[change.new] = out.get(change.new, 0) + 1
        return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


# A sheet as the checks see it: (title, rows as (row number, values from column A)).
Sheets = list[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]


def _fast_sheets(data: bytes) -> tuple[Sheets, Callable[[], None]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        book = Workbook(archive)
    except Exception:
        archive.close()
        raise
    return [(p.title, book.rows(p)) for p in book.sheets], archive.close


def _openpyxl_sheets(data: bytes) -> tuple[Sheets, Callable[[], None]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign zip
        raise ImportFileError("not_xlsx") from error
    return [(ws.title, enumerate(ws.iter_rows(values_only=True), start=1))
            for ws in book.worksheets], book.close


_DAMAGED = (Unreadable, zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError)


def read_file(data: bytes, *, texts: Texts,
              columns_of: Callable[[str, str], Sequence[Column] | None]) -> ParsedFile:
    """The rows of every sheet with the export's headers; `columns_of(slug, table_id)` gives
    a table's columns (None: no such table in the campaign)."""
    if len(data) > MAX_BYTES:
        raise ImportFileError("too_big", size=round(len(data) / 1024 / 1024, 1))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportFileError("not_xlsx")
    found = None
    for opener in (_fast_sheets, _openpyxl_sheets):  # openpyxl: what the fast reader cannot
        try:
            sheets, close = opener(data)
        except _DAMAGED:
            continue
        try:
            found = _rows(sheets, texts, columns_of)
            break
        except _DAMAGED:
            continue
        finally:
            close()
    if found is None:
        raise ImportFileError("not_xlsx")
    meta, table_id, rows = found
    slugs = {r.key_slug for r in rows}
    slug = meta.get("campaign") or (next(iter(slugs)) if len(slugs) == 1 else "")
    if not rows:
        raise ImportFileError("empty")
    if not slug or slugs - {slug}:
        raise ImportFileError("mixed", count=sum(1 for r in rows if r.key_slug != slug))
    return ParsedFile(slug, table_id, rows)


def _rows(sheets: Sheets, texts: Texts,
          columns_of: Callable[[str, str], Sequence[Column] | None]
          ) -> tuple[dict[str, str], str, list[Row]]:
    meta = next(({_text(v[0]): _text(v[1]) for _, v in lines if len(v) > 1 and v[0]}
                 for title, lines in sheets if title == META_SHEET), {})
    table_id = meta.get("table") or "main"
    columns = columns_of(meta.get("campaign", ""), table_id)
    if columns is None:
        raise ImportFileError("unknown_table")
    by_header = {c.header: c.field for c in columns} | {key_header(texts): "_key"}
    rows: list[Row] = []
    usable = 0
    for title, lines in sheets:
        if title == META_SHEET:
            continue
        found = _sheet_rows(title, lines, by_header)
        if found is not None:
            usable += 1
            rows.extend(found)
    if not usable:
        needed = [c.header for c in columns if c.field in REQUIRED] + [key_header(texts)]
        raise ImportFileError("headers", needed="、".join(needed))
    return meta, table_id, rows


def _sheet_rows(title: str, lines: Iterator[tuple[int, tuple[Any, ...]]],
                by_header: Mapping[str, str]) -> list[Row] | None:
    """A sheet's rows, or None when its first row lacks a required header (not ours)."""
    first = next(lines, None)
    if first is None:
        return None
    header = first[1]
    where = {}
    for index, value in enumerate(header):
        name = by_header.get(_text(value))
        if name is not None and name not in where:
            where[name] = index
    if any(f not in where for f in (*REQUIRED, "_key")):
        return None

    def cell(values: tuple[Any, ...], name: str) -> str:
        index = where.get(name)
        return _text(values[index]) if index is not None and index < len(values) else ""

    rows = []
    for number, values in lines:
        key, receipt = cell(values, "_key"), cell(values, "receipt_no")
        if not key and not receipt:
            continue  # a blank line
        slug, _, key_receipt = key.rpartition("/")
        rows.append(Row(title, number, slug, key_receipt, receipt.upper(),
                        cell(values, "id_number").upper(), cell(values, "status"),
                        cell(values, "status_reason")))
    return rows


def status_labels(texts: Texts) -> dict[str, str]:
    """Label → status id, for every status (a current label means: unchanged); both wordings
    of a label (已官网报名 and 已正式报名), so a file exported for any campaign reads back."""
    labels = {texts(f"registration.status.{s}"): s for s in STATUSES}
    labels.update({texts(f"registration.status.{s}_offline"): s for s in STATUSES
                   if f"registration.status.{s}_offline" in texts})
    return labels


def validate(parsed: ParsedFile, *, registrations: Mapping[str, Registration], texts: Texts,
             scope_base: str | None, id_matches: Callable[[Registration, str], bool]
             ) -> Preview:
    """Judge every row; nothing is written."""
    labels = status_labels(texts)
    preview, seen = Preview(), set()
    for row in parsed.rows:
        refusal = None
        registration = registrations.get(row.key_receipt)
        if registration is None:
            refusal = "unknown_receipt"
        elif row.receipt != row.key_receipt:
            refusal = "receipt_changed"
        elif row.key_receipt in seen:
            refusal = "duplicate"
        elif scope_base is not None and scope_base not in (registration.base_choices or []):
            refusal = "scope"
        elif not id_matches(registration, row.id_cell):
            refusal = "id_changed"
        if refusal is not None:
            preview.refusals.append(Refusal(row.sheet, row.number, row.receipt or
                                            row.key_receipt, refusal))
            continue
        assert registration is not None and registration.id is not None
        seen.add(row.key_receipt)
        new = labels.get(row.label)
        if new == registration.status:
            preview.unchanged += 1
            continue
        if new is None or new not in SETTABLE:
            typed = mask_personal_numbers(row.label)  # whatever was typed, kept short
            preview.refusals.append(Refusal(row.sheet, row.number, row.key_receipt,
                                            "unknown_status", typed[:20]))
            continue
        try:
            check_change(registration, new, row.reason or None, texts=texts,
                         scope_base=scope_base)
        except StatusRefused as refused:
            code = refused.code if refused.code in REFUSAL_CODES else "unknown_status"
            preview.refusals.append(Refusal(row.sheet, row.number, row.key_receipt, code, new))
            continue
        # Kept until confirmed as the records keep it: ID and phone numbers masked.
        preview.changes.append(Change(row.sheet, row.number, registration.id, row.key_receipt,
                                      registration.status, new, clean_reason(row.reason)))
    return preview
