"""The cell values of an XLSX's sheets, read straight from its XML: the import's fast path.

openpyxl's reader builds an object per cell (20,000 rows × 20 columns: 10 s); the import needs
only values. This reads the zip's parts itself (workbook, relationships, shared strings, each
sheet's rows with ElementTree's iterparse), in Transitional and Strict OOXML alike. Anything it
does not understand raises `Unreadable`, and the caller falls back to openpyxl.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError, fromstring, iterparse

_CELL = re.compile(r"^([A-Z]+)(\d+)$")


class Unreadable(Exception):
    """Not a workbook this reader follows; openpyxl may still read it."""


@dataclass(frozen=True)
class SheetPart:
    title: str
    state: str  # visible | hidden | veryHidden
    path: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element: Element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (r:id in either OOXML flavour)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _xml(archive: zipfile.ZipFile, path: str) -> Element:
    try:
        return fromstring(archive.read(path))
    except (KeyError, ParseError) as error:
        raise Unreadable(path) from error


def _rels(archive: zipfile.ZipFile, owner: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part path) of the part `owner` ("": the package's own)."""
    folder, name = posixpath.split(owner)
    path = posixpath.join(folder, "_rels", f"{name}.rels")  # "" → _rels/.rels
    if path not in archive.namelist():
        return {}
    out = {}
    for rel in _xml(archive, path):
        target = rel.get("Target", "")
        full = target.lstrip("/") if target.startswith("/") else \
            posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), full)
    return out


def _text(si: Element) -> str:
    """A shared string or inline string: its runs' text, without phonetic (rPh) runs."""
    parts = []
    for child in si:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _column(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number - 1


class Workbook:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        root = _rels(archive, "")
        main = next((p for t, p in root.values() if t.endswith("/officeDocument")), None)
        if main is None:
            raise Unreadable("no workbook part")
        rels = _rels(archive, main)
        self.sheets = []
        for sheet in _xml(archive, main).iter():
            if _local(sheet.tag) != "sheet":
                continue
            rel = rels.get(_attr(sheet, "id") or "")
            if rel is None or not rel[0].endswith("/worksheet"):
                continue  # a chart sheet or a dialog sheet: no cells
            self.sheets.append(SheetPart(sheet.get("name", ""), sheet.get("state", "visible"),
                                         rel[1]))
        strings = next((p for t, p in rels.values() if t.endswith("/sharedStrings")), None)
        self.strings = [_text(si) for si in _xml(archive, strings)] if strings else []

    def rows(self, part: SheetPart) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values from column A) for every row with a cell."""
        try:
            with self.archive.open(part.path) as stream:
                for _, element in iterparse(stream, events=("end",)):
                    if _local(element.tag) != "row":
                        continue
                    yield self._row(element)
                    element.clear()
        except (KeyError, ParseError) as error:
            raise Unreadable(part.path) from error

    def _row(self, row: Element) -> tuple[int, tuple[Any, ...]]:
        values: dict[int, Any] = {}
        number = int(row.get("r", "0") or 0)
        position = -1
        for cell in row:
            if _local(cell.tag) != "c":
                continue
            found = _CELL.match(cell.get("r", ""))
            position = _column(found.group(1)) if found else position + 1
            if found and not number:
                number = int(found.group(2))
            values[position] = self._value(cell)
        width = max(values, default=-1) + 1
        return number, tuple(values.get(i) for i in range(width))

    def _value(self, cell: Element) -> Any:
        kind = cell.get("t", "n")
        raw = None
        for child in cell:
            tag = _local(child.tag)
            if tag == "v":
                raw = child.text
            elif tag == "is":
                return _text(child)
        if raw is None:
            return None
        if kind == "s":
            return self.strings[int(raw)]
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw == "1"
        number = float(raw)
        return int(number) if number.is_integer() and "E" not in raw.upper() else number
