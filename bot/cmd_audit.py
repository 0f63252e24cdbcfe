"""`zhaolu audit [--campaign SLUG] [--since ISO] [--limit N] [--jsonl] [--db URL]`: the audit log.

Newest first: time (Asia/Shanghai), who (a Telegram id with the role held, or cli / system), the
action, campaign and base, audience size, the message it concerns, and a detail of ids and counts
(never personal data). With --campaign, entries of that campaign only. Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.clock import parse_moment
from bot.settings import settings_for


async def _entries(url: str, campaign: str | None, since: Any, limit: int) -> list[Any]:
    from storage.audit import latest
    from storage.engine import one_session

    async with one_session(url) as session:
        return await latest(session, campaigns=[campaign] if campaign else None, since=since,
                            limit=limit)


def entry_row(entry: Any) -> dict[str, Any]:
    return {"at": entry.at.isoformat(), "actor_id": entry.actor_id, "actor": entry.actor or None,
            "role": entry.role or None, "action": entry.action, "campaign": entry.campaign_slug,
            "base": entry.base_id, "audience_size": entry.audience_size,
            "message": entry.message_ref, "detail": entry.detail or None}


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    try:
        since = parse_moment(args.since) if args.since else None
    except ValueError:
        print(f"--since is not an ISO-8601 time: {args.since}")
        return 2
    entries = asyncio.run(_entries(settings.effective_database_url, args.campaign, since,
                                   max(1, args.limit)))
    rows = [entry_row(e) for e in entries]
    if args.jsonl:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("no audit entries")
        return 0
    for r in rows:
        who = r["actor"] or f"{r['role'] or '?'} {r['actor_id']}"
        where = " · ".join(p for p in (r["campaign"], r["base"]) if p) or "-"
        size = f"{r['audience_size']} people" if r["audience_size"] is not None else ""
        parts = [r["at"][:16].replace("T", " "), who, r["action"], where, size,
                 r["message"] or "", r["detail"] or ""]
        print("  ".join(p for p in parts if p))
    return 0
