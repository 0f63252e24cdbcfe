"""`zhaolu reminders --campaign SLUG [--now ISO] [--jsonl] [--db URL]`: the planned schedule.

One line per planned send: when (quiet hours applied), its state at --now (upcoming, due, passed,
or sent when the database has it), the reminder and offset, the event, the audience and how many
people it reaches now; then the offsets that can never go out, with why. Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.settings import campaign_for, campaigns_for, settings_for
from content.reminders import Occurrence, due_now, plan, states
from content.schema import Campaign


async def _from_db(url: str, campaign: Campaign,
                   occurrences: list[Occurrence]) -> tuple[set[str], dict[tuple[str, ...], int]]:
    """Keys already in the ledger, and the audience sizes now."""
    from storage.delivery import existing_keys
    from storage.engine import one_session
    from storage.subscriptions import audience_user_ids

    async with one_session(url) as session:
        sent = await existing_keys(session, keys=[o.key for o in occurrences])
        sizes: dict[tuple[str, ...], int] = {}
        for audience in {tuple(o.reminder.audience) for o in occurrences}:
            sizes[audience] = len(await audience_user_ids(
                session, slug=campaign.slug, audiences=audience))
    return sent, sizes


def rows(campaign: Campaign, now: datetime, sent: set[str],
         sizes: dict[tuple[str, ...], int]) -> list[dict[str, Any]]:
    occurrences, skipped = plan(campaign)
    due = due_now(campaign, now)
    found = []
    for occurrence, state in zip(occurrences, states(occurrences, due, now), strict=True):
        audience = tuple(occurrence.reminder.audience)
        found.append({
            "when": occurrence.due.isoformat(), "state": "sent" if occurrence.key in sent
            else state, "reminder": occurrence.reminder.id, "offset": occurrence.offset,
            "event": occurrence.event.ref, "event_at": occurrence.event.at.isoformat(),
            "audience": list(audience), "recipients": sizes.get(audience),
            "key": occurrence.key})
    found += [{"when": None, "state": "never", "reminder": s.reminder.id, "offset": s.offset,
               "event": s.reminder.event, "nominal": s.nominal.isoformat(), "reason": s.reason}
              for s in skipped]
    return found


def _print_table(campaign: Campaign, now: datetime, found: list[dict[str, Any]]) -> None:
    print(f"{campaign.name} ({campaign.slug}) at {now.isoformat()}")
    print(f"{'when':19}  {'state':8}  {'reminder':16}  {'offset':9}  {'event':20}  "
          f"{'people':>6}  audience")
    for row in found:
        if row["state"] == "never":
            continue
        people = "-" if row["recipients"] is None else str(row["recipients"])
        print(f"{row['when'][:19]:19}  {row['state']:8}  {row['reminder']:16}  "
              f"{row['offset']:9}  {row['event']:20}  {people:>6}  {'+'.join(row['audience'])}")
    for row in found:
        if row["state"] == "never":
            print(f"never: {row['reminder']} {row['offset']} (would be {row['nominal'][:16]}): "
                  f"{row['reason']}")


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    campaign = campaign_for(campaigns_for(settings), args.campaign)
    now = settings.now or Clock().now()
    url = settings.database_url
    if url is None and (settings.var_dir / "zhaolu.db").exists():
        url = settings.effective_database_url
    sent: set[str] = set()
    sizes: dict[tuple[str, ...], int] = {}
    if url:  # without a database there is nobody to count
        sent, sizes = asyncio.run(_from_db(url, campaign, plan(campaign)[0]))
    found = rows(campaign, now, sent, sizes)
    if args.jsonl:
        for row in found:
            print(json.dumps(row, ensure_ascii=False))
    else:
        _print_table(campaign, now, found)
    return 0
