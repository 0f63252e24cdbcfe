"""`zhaolu faq export|list`: the FAQ entries staff saved in the chat (存为问答, the overlay).

`zhaolu faq export --campaign SLUG [--out FILE] [--db URL] [--content DIR]` prints the campaign's
active entries as YAML in the shape of a campaign file's ``faq:`` section (content/schema_faq.py):
``id`` (``staff_<n>``, made unique against the campaign's own FAQ ids), ``questions`` (the
phrasings), ``answer`` (braces doubled: the Q&A reads ``{name}`` as a placeholder) and
``clause: 工作人员答复 YYYY-MM-DD``. The items are indented to paste under the campaign file's
``faq:`` key; then run `zhaolu check-content`. Once merged and deployed, remove the entries in
/staff → 📚 问答补充 so they do not answer twice.

`zhaolu faq list [--campaign SLUG] [--all] [--jsonl] [--db URL]`, newest first, one line each:
id, created (Asia/Shanghai), campaign, state (active | removed), author, question. `--jsonl`:
one object per entry. Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.clock import to_shanghai
from bot.settings import campaign_for, campaigns_for, settings_for
from content.schema import Campaign
from content.schema_base import MAX_ID

CLAUSE = "工作人员答复 {date}"


async def _entries(url: str, slugs: list[str] | None, include_removed: bool) -> list[Any]:
    from storage.engine import one_session
    from storage.faq_overlay import list_entries

    async with one_session(url) as session:
        return await list_entries(session, campaign_slugs=slugs, include_removed=include_removed)


def export_items(campaign: Campaign, entries: list[Any]) -> list[dict[str, Any]]:
    """The entries as campaign FAQ items, oldest first, with ids the campaign does not use."""
    taken = {entry.id for entry in campaign.faq}
    items = []
    for entry in sorted(entries, key=lambda e: e.id):
        base = f"staff_{entry.id}"
        ident, n = base, 2
        while ident in taken:
            ident, n = f"{base}_{n}"[:MAX_ID], n + 1
        taken.add(ident)
        items.append({
            "id": ident,
            "questions": list(dict.fromkeys(entry.phrasings or [entry.question])),
            "answer": entry.answer.replace("{", "{{").replace("}", "}}"),
            "clause": CLAUSE.format(date=to_shanghai(entry.created_at).date().isoformat()),
        })
    return items


class _Dumper(yaml.SafeDumper):
    pass


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def export_yaml(campaign: Campaign, entries: list[Any]) -> str:
    items = export_items(campaign, entries)
    header = [
        f"# {campaign.name}（{campaign.slug}）：{len(items)} 条工作人员答复（问答补充）。",
        f"# 把 faq: 下面的条目粘贴到 content/campaigns/{campaign.slug}.yaml 的 faq: 列表中"
        "（文件里还没有 faq: 时，连同 faq: 这一行整段粘贴），",
        "# 运行 zhaolu check-content；部署后在 /staff → 📚 问答补充 中删除这些条目，以免重复回答。",
    ]
    if not items:
        return "\n".join([*header, "faq: []", ""])
    body = yaml.dump(items, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000,
                     default_flow_style=False)
    indented = "".join(f"  {line}" if line.strip() else line
                       for line in body.splitlines(keepends=True))
    return "\n".join([*header, "faq:", indented])


def _export(args: argparse.Namespace, url: str) -> int:
    campaign = campaign_for(campaigns_for(settings_for(args)), args.campaign)
    text = export_yaml(campaign, asyncio.run(_entries(url, [campaign.slug], False)))
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {text.count(chr(10) + '  - id: ')} entries to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def entry_row(entry: Any) -> dict[str, Any]:
    return {"id": entry.id, "campaign": entry.campaign_slug, "question": entry.question,
            "phrasings": list(entry.phrasings or []), "answer": entry.answer,
            "author_id": entry.author_id, "author": entry.author_label,
            "thread_id": entry.thread_id, "created_at": entry.created_at.isoformat(),
            "removed_at": entry.removed_at.isoformat() if entry.removed_at else None,
            "removed_by": entry.removed_by, "active": entry.removed_at is None}


def _list(args: argparse.Namespace, url: str) -> int:
    slugs = [args.campaign] if args.campaign else None
    entries = asyncio.run(_entries(url, slugs, args.all))
    if args.jsonl:
        for entry in entries:
            print(json.dumps(entry_row(entry), ensure_ascii=False))
        return 0
    if not entries:
        print("no FAQ entries" + (f" for {args.campaign}" if args.campaign else ""))
        return 0
    print(f"{'id':>5}  {'created':16}  {'campaign':16}  {'state':7}  {'author':16}  question")
    for e in entries:
        when = to_shanghai(e.created_at).strftime("%Y-%m-%d %H:%M")
        state = "active" if e.removed_at is None else "removed"
        question = " ".join(e.question.split())
        print(f"{e.id:>5}  {when:16}  {e.campaign_slug:16}  {state:7}  "
              f"{' '.join(e.author_label.split()):16}  {question}")
    return 0


def main(args: argparse.Namespace) -> int:
    url = settings_for(args).effective_database_url
    return _export(args, url) if args.action == "export" else _list(args, url)
