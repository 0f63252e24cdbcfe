"""`zhaolu ask [--campaign SLUG] [--now ISO] [--jsonl] [--db URL] [QUESTION…]`.

Answers policy questions as the bot would: the words given as one question, or with none, one
question per line of stdin. `--jsonl` prints one JSON object per question: answer (the text as
sent), source, kind, entry, score, alternatives. This is how content authors test their YAML.

Start-up matters (first answer well under 1.5 s): no aiogram, and storage (sqlmodel and
SQLAlchemy, about 1 s to import) only when the unanswered questions are to be logged, which is
when `--db URL` or ZHAOLU_DATABASE_URL is given. Without either, nothing is written and the
answers come from the YAML alone; with one, the FAQ entries staff saved in the chat (the
overlay, storage/faq_overlay.py) answer too, as they do in the bot.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime

from bot.clock import SHANGHAI
from bot.settings import settings_for
from content.catalogue import Catalogue, load_catalogue
from content.loader import ContentError
from content.normalise import normalise
from content.qa import answer
from content.qa_knowledge import StaffEntry
from content.qa_reply import Answer
from content.schema import Campaign

USAGE_ERROR = 2


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    try:
        catalogue = load_catalogue(settings.content_dir)
    except ContentError as error:
        print(str(error), file=sys.stderr)
        return 1
    campaign = _pick(catalogue, args.campaign)
    if campaign is None:
        return USAGE_ERROR
    now = settings.now or datetime.now(SHANGHAI)
    db_url = settings.database_url  # only when given: without one nothing is written
    staff = _staff_entries(db_url, campaign.slug) if db_url else ()
    unanswered: list[tuple[str, Answer, datetime]] = []
    for question in _questions(args):
        reply = answer(campaign, question, now, staff=staff)
        _print(question, reply, jsonl=args.jsonl)
        if db_url and reply.unanswered:
            unanswered.append((question, reply, now))
    if unanswered:
        _record(db_url, campaign.slug, unanswered)
    return 0


def _pick(catalogue: Catalogue, slug: str | None) -> Campaign | None:
    slugs = ", ".join(catalogue.slugs)
    if slug:
        campaign = catalogue.get(slug)
        if campaign is None:
            print(f"unknown campaign {slug!r}; campaigns: {slugs}", file=sys.stderr)
        return campaign
    if len(catalogue) == 1:
        return catalogue.all()[0]
    print(f"several campaigns: choose one with --campaign SLUG ({slugs})", file=sys.stderr)
    return None


def _questions(args: argparse.Namespace) -> Iterator[str]:
    if args.question:
        yield " ".join(args.question)
        return
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\n")


def _print(question: str, reply: Answer, *, jsonl: bool) -> None:
    if jsonl:
        record = {"question": question, "answer": reply.text, "source": reply.source,
                  "kind": reply.kind, "entry": reply.entry, "score": reply.score,
                  "alternatives": [{"label": label, "entry": key}
                                   for label, key in reply.alternatives]}
        print(json.dumps(record, ensure_ascii=False), flush=True)
        return
    print(f"? {question}\n{reply.text}\n[{reply.kind} {reply.entry} {reply.score}]\n",
          flush=True)


def _staff_entries(db_url: str, slug: str) -> tuple[StaffEntry, ...]:
    import asyncio

    from storage.faq_overlay import load_staff_entries

    return asyncio.run(load_staff_entries(db_url, slug))


def _record(db_url: str, slug: str, items: list[tuple[str, Answer, datetime]]) -> None:
    import asyncio

    from storage.unanswered import record_many

    rows = [(q, normalise(q, atomic=False).replace(" ", ""), a.score, when) for q, a, when in items]
    asyncio.run(record_many(db_url, slug, rows))
