"""`zhaolu unanswered [--campaign SLUG] [--limit N] [--db URL]`: what the notice did not answer.

Questions are grouped by their normalised form, most frequent first: count, last asked (Asia/
Shanghai), campaign, and the latest wording. Content authors turn the top ones into facts or FAQ
entries. Free of aiogram.
"""

from __future__ import annotations

import argparse
import asyncio

from bot.settings import Settings


async def _list(url: str, campaign: str | None, limit: int) -> list:
    from storage.engine import create_engine, make_sessionmaker, prepare_database
    from storage.unanswered import list_unanswered

    engine = create_engine(url)
    try:
        await prepare_database(engine)
        async with make_sessionmaker(engine)() as session:
            return await list_unanswered(session, campaign=campaign, limit=limit)
    finally:
        await engine.dispose()


def main(args: argparse.Namespace) -> int:
    url = args.db or Settings().effective_database_url
    groups = asyncio.run(_list(url, args.campaign, max(1, args.limit)))
    if not groups:
        print("no unanswered questions" + (f" for {args.campaign}" if args.campaign else ""))
        return 0
    print(f"{'count':>5}  {'last asked':16}  {'campaign':16}  question")
    for group in groups:
        when = group.last_asked.strftime("%Y-%m-%d %H:%M")
        question = " ".join(group.question.split())
        print(f"{group.count:>5}  {when:16}  {group.campaign_slug:16}  {question}")
    return 0
