"""`zhaolu stats --campaign SLUG [--out chart.png] [--jsonl] [--now ISO] [--db URL]`: the figures.

The same figures as /staff → 📊 统计 for the whole campaign (storage/stats.py): the text as the chat
shows it, without tags, or with --jsonl one JSON object (keys in README); with --out, also the
chart as a PNG. Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from bot.clock import Clock
from bot.settings import campaign_for, campaigns_for, settings_for
from bot.stats_text import plain, render
from content.schema import Campaign
from content.texts import default_texts
from storage.stats import Figures


async def _figures(url: str, campaign: Campaign, now: datetime) -> Figures:
    from storage.engine import one_session
    from storage.stats import figures

    async with one_session(url) as session:
        return await figures(session, campaign=campaign, now=now)


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    campaign = campaign_for(campaigns_for(settings), args.campaign)
    now = settings.now or Clock().now()
    found = asyncio.run(_figures(settings.effective_database_url, campaign, now))
    texts = default_texts()
    if args.out:
        from bot.stats_chart import draw_png

        try:
            Path(args.out).write_bytes(draw_png(texts, found))
        except OSError as exc:
            print(f"cannot write {args.out}: {exc.strerror}", file=sys.stderr)
            return 2
    if args.jsonl:
        print(json.dumps(found.as_json(), ensure_ascii=False))
    else:
        print(plain(render(texts, found)))
    return 0
