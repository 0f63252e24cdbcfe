"""`zhaolu export --campaign SLUG [--base NAME] [--table ID] --format csv|xlsx --out FILE
[--db URL]`.

One row per active pre-registration (withdrawn ones are left out), Chinese headers, the full ID
number decrypted for the base's review. XLSX: the chat's workbook (bot/xlsx_export.py), one
sheet per base, ready to edit and bring back with `zhaolu import-status`; `--table ID` one of
the campaign's extra tables (its YAML's `exports:`, e.g. Fujian's 汇总表). The file holds
personal data: it is created readable by its owner only. Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.settings import Settings, campaign_for, campaigns_for, settings_for
from content.schema import Campaign
from content.texts import default_texts


def headers() -> tuple[str, ...]:
    """The full list's headers (the chat's export has the same, bot/xlsx_export.py)."""
    from bot.xlsx_export import main_columns

    return tuple(c.header for c in main_columns(default_texts()))


def find_base(campaign: Campaign, name: str) -> str | None:
    """A base id by id, name or alias."""
    wanted = name.strip()
    for base in campaign.plan.bases:
        if wanted in (base.id, base.name, *base.aliases):
            return base.id
    return None


async def _build(url: str, settings: Settings, campaign: Campaign, base_id: str | None,
                 table: Any, now: datetime) -> Any:
    from bot.xlsx_export import export_file
    from storage.engine import one_session
    from storage.keys import open_vault

    async with one_session(url) as session:
        vault = await open_vault(session, settings, now)
        await session.commit()
        return await export_file(session, campaign=campaign, texts=default_texts(), vault=vault,
                                 table=table, only_base=base_id, masked=False, now=now)


async def _rows(url: str, settings: Settings, campaign: Campaign,
                base_id: str | None, now: datetime) -> list[list[Any]]:
    """The CSV's rows: the full list's columns, in receipt order."""
    from bot.xlsx_export import MAIN_FIELDS, field_values
    from storage.engine import one_session
    from storage.keys import open_vault
    from storage.registrations import active_for_export

    texts = default_texts()
    async with one_session(url) as session:
        vault = await open_vault(session, settings, now)
        await session.commit()
        found = await active_for_export(session, campaign_slug=campaign.slug, base_id=base_id)
        rows = []
        for r in found:
            values = field_values(r, vault.decrypt(r.id_cipher), campaign, texts, masked=False)
            rows.append([values[f] for f in MAIN_FIELDS])
        return rows


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
        writer.writerow(headers())
        writer.writerows(rows)


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    campaign = campaign_for(campaigns_for(settings), args.campaign)
    base_id = None
    if args.base:
        base_id = find_base(campaign, args.base)
        if base_id is None:
            names = "、".join(b.name for b in campaign.plan.bases) or "(none listed)"
            print(f"unknown base {args.base!r} in {campaign.slug}; bases: {names}",
                  file=sys.stderr)
            return 2
    table = None
    if getattr(args, "table", None):
        table = next((t for t in campaign.exports if t.id == args.table), None)
        if table is None or args.format == "csv":
            known = ", ".join(t.id for t in campaign.exports) or "(none)"
            print(f"unknown table {args.table!r} in {campaign.slug} (xlsx only); tables: "
                  f"{known}", file=sys.stderr)
            return 2
    url = settings.effective_database_url
    out = Path(args.out)
    if args.format == "csv":
        rows = asyncio.run(_rows(url, settings, campaign, base_id, Clock().now()))
        write_csv(out, rows)
        count = len(rows)
    else:
        built = asyncio.run(_build(url, settings, campaign, base_id, table, Clock().now()))
        _private(out)
        out.write_bytes(built.data)
        count = built.rows
    what = f"rows of table {table.id}" if table is not None else "active pre-registrations"
    print(f"{count} {what} of {campaign.slug} written to {out}")
    return 0
