"""`zhaolu unanswered [--campaign SLUG] [--limit N] [--jsonl] [--db URL]`: what the notice did not
answer.

Similar questions are grouped (storage/unanswered.py: same normalised form, then alike forms by
content/similarity.py), most asked first. Columns: count, last asked (Asia/Shanghai), campaign,
answered, and the latest wording. `answered` is ``faq#N`` when FAQ entry N (问答补充) now answers
the group, ``reply:N`` when staff replied to N of its questions, else ``no``. `--jsonl`: one object
per group (campaign, count, forms, last_asked, question, normalised, answered, replied, faq_id).
Content authors turn the top ones into facts or FAQ entries. Free of aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.settings import settings_for


async def _list(url: str, campaign: str | None, limit: int) -> list:
    from storage.engine import one_session
    from storage.unanswered import list_unanswered

    async with one_session(url) as session:
        return await list_unanswered(session, campaign=campaign, limit=limit)


def answered(group: Any) -> str:
    if group.faq_id is not None:
        return f"faq#{group.faq_id}"
    return f"reply:{group.replied}" if group.replied else "no"


def group_row(group: Any) -> dict[str, Any]:
    return {"campaign": group.campaign_slug, "count": group.count, "forms": group.forms,
            "last_asked": group.last_asked.isoformat(), "question": group.question,
            "normalised": group.normalised, "answered": group.answered,
            "replied": group.replied, "faq_id": group.faq_id}


def main(args: argparse.Namespace) -> int:
    url = settings_for(args).effective_database_url
    groups = asyncio.run(_list(url, args.campaign, max(1, args.limit)))
    if getattr(args, "jsonl", False):
        for group in groups:
            print(json.dumps(group_row(group), ensure_ascii=False))
        return 0
    if not groups:
        print("no unanswered questions" + (f" for {args.campaign}" if args.campaign else ""))
        return 0
    print(f"{'count':>5}  {'last asked':16}  {'campaign':16}  {'answered':8}  question")
    for group in groups:
        when = group.last_asked.strftime("%Y-%m-%d %H:%M")
        question = " ".join(group.question.split())
        print(f"{group.count:>5}  {when:16}  {group.campaign_slug:16}  {answered(group):8}  "
              f"{question}")
    return 0
