"""`zhaolu purge [--dry-run] [--now ISO] [--jsonl] [--db URL] [--content DIR]`: retention.

Deletes (or, for the audit log, anonymises) the personal data of every campaign past its
`retention_days_after_close`, the conversation state of people silent for 30 days and accounts
left with nothing (storage/retention.py); the scheduler runs the same daily. `--dry-run` counts
without changing anything. Text: a header line, one line per campaign, one per table
(`registrations  deleted  12`), a total; `--jsonl`: one object. Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.clock import Clock
from bot.settings import campaigns_for, settings_for


async def _run(url: str, campaigns: list[Any], now: Any, dry_run: bool) -> Any:
    from storage.engine import create_engine, make_sessionmaker, prepare_database
    from storage.retention import run_purge

    engine = create_engine(url)
    try:
        await prepare_database(engine)
        return await run_purge(make_sessionmaker(engine), campaigns, now, dry_run=dry_run)
    finally:
        await engine.dispose()


def as_json(report: Any, found: list[Any], unknown: list[str]) -> dict[str, Any]:
    return {
        "now": report.now.isoformat(), "dry_run": report.dry_run,
        "campaigns": [{"campaign": p.slug, "last_date": p.last_date.date().isoformat(),
                       "retention_days": p.days, "purge_from": p.purge_from.isoformat(),
                       "purged": p.due} for p in found],
        "unknown_campaigns": unknown,
        "tables": [{"table": t, "action": report.action(t), "rows": n}
                   for t, n in report.counts.items()],
        "total": report.total,
    }


def lines(report: Any, found: list[Any], unknown: list[str]) -> list[str]:
    head = f"purge at {report.now.isoformat(timespec='minutes')}"
    out = [head + (" (dry run: nothing changed)" if report.dry_run else "")]
    for p in found:
        state = ("would be purged" if report.dry_run else "purged") if p.due else "kept"
        out.append(f"campaign {p.slug}: last date {p.last_date.date().isoformat()}, "
                   f"{p.days} days, purge from {p.purge_from.date().isoformat()}: {state}")
    out += [f"campaign {slug}: no campaign file, its rows are kept" for slug in unknown]
    width = max(len(t) for t in report.counts)
    out += [f"{t.ljust(width)}  {report.action(t).ljust(10)}  {n}"
            for t, n in report.counts.items()]
    out.append(f"total {report.total} rows")
    return out


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    catalogue = campaigns_for(settings)
    now = settings.now or Clock().now()
    report, found, unknown = asyncio.run(_run(settings.effective_database_url, catalogue.all(),
                                              now, args.dry_run))
    if args.jsonl:
        print(json.dumps(as_json(report, found, unknown), ensure_ascii=False))
    else:
        print("\n".join(lines(report, found, unknown)))
    return 0
