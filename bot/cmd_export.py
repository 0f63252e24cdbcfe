"""`zhaolu export --campaign SLUG [--base NAME] --format csv|xlsx --out FILE [--db URL]`.

One row per active pre-registration (withdrawn ones are left out), Chinese headers, the full ID
number decrypted for the base's review. The file holds personal data: it is created readable by
its owner only. Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings
from content.schema import Campaign
from content.texts import Texts, default_texts

HEADERS = (
    "回执号", "状态", "姓名", "身份证号", "出生日期", "手机号", "毕业院校", "毕业年份", "学历",
    "专业", "执业资格", "人员类型", "意向基地", "接受调剂", "自查结果", "条件说明",
    "预登记时间", "更新时间",
)
VERDICTS = {"eligible": "符合", "conditional": "有条件", "unchecked": "未自查"}


def find_base(campaign: Campaign, name: str) -> str | None:
    """A base id by id, name or alias."""
    wanted = name.strip()
    for base in campaign.plan.bases:
        if wanted in (base.id, base.name, *base.aliases):
            return base.id
    return None


def _row(registration: Any, id_number: str, campaign: Campaign, texts: Texts) -> list[Any]:
    from content.idcard import birth_date_from_id
    from content.registration_text import field_value

    answers = registration.model_dump()

    def show(field: str) -> str:
        return field_value(field, answers, campaign, texts)

    adjustment = "" if registration.accepts_adjustment is None else show("adjustment")
    return [
        registration.receipt_no, texts(f"registration.status.{registration.status}"),
        registration.name, id_number, birth_date_from_id(id_number).isoformat(),
        registration.phone, registration.school, registration.graduation_year,
        show("education"), registration.major, show("qualification"), show("person_type"),
        show("bases") if registration.base_choices else "", adjustment,
        VERDICTS.get(registration.verdict, registration.verdict),
        "；".join(registration.conditions),
        registration.created_at.strftime("%Y-%m-%d %H:%M"),
        registration.updated_at.strftime("%Y-%m-%d %H:%M"),
    ]


async def _rows(url: str, settings: Settings, campaign: Campaign,
                base_id: str | None) -> list[list[Any]]:
    from storage.crypto import vault_for
    from storage.engine import create_engine, make_sessionmaker
    from storage.registrations import active_for_export

    vault, texts = vault_for(settings), default_texts()
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            found = await active_for_export(session, campaign_slug=campaign.slug, base_id=base_id)
            return [_row(r, vault.decrypt(r.id_cipher), campaign, texts) for r in found]
    finally:
        await engine.dispose()


def _private(path: Path) -> None:
    """Create (or truncate) the file readable by its owner only, before any data goes in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)


def write_csv(path: Path, rows: list[list[Any]]) -> None:
    _private(path)
    # utf-8-sig: Excel opens a CSV with a BOM as UTF-8; without it, Chinese turns to mojibake.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def write_xlsx(path: Path, rows: list[list[Any]], title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]  # Excel's limit on sheet names
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, header in enumerate(HEADERS):
        width = max([len(str(header)) * 2, *(len(str(r[index])) + 2 for r in rows)])
        sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = width
    sheet.freeze_panes = "A2"
    _private(path)
    workbook.save(path)


def main(args: argparse.Namespace) -> int:
    from content.catalogue import load_catalogue
    from content.loader import ContentError

    settings = Settings()
    try:
        catalogue = load_catalogue(Path(args.content) if args.content else settings.content_dir)
    except ContentError as error:
        print(f"content error: {error}", file=sys.stderr)
        return 2
    campaign = catalogue.get(args.campaign)
    if campaign is None:
        print(f"unknown campaign {args.campaign!r}; known: {', '.join(catalogue.slugs)}",
              file=sys.stderr)
        return 2
    base_id = None
    if args.base:
        base_id = find_base(campaign, args.base)
        if base_id is None:
            names = "、".join(b.name for b in campaign.plan.bases) or "(none listed)"
            print(f"unknown base {args.base!r} in {campaign.slug}; bases: {names}",
                  file=sys.stderr)
            return 2
    url = args.db or settings.effective_database_url
    rows = asyncio.run(_rows(url, settings, campaign, base_id))
    out = Path(args.out)
    if args.format == "csv":
        write_csv(out, rows)
    else:
        write_xlsx(out, rows, campaign.slug)
    print(f"{len(rows)} active pre-registrations of {campaign.slug} written to {out}")
    return 0
