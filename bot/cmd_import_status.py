"""`zhaolu import-status --campaign SLUG --file X.xlsx [--apply] [--jsonl] [--now] [--db]
[--content]`: the status column of an edited export, checked row by row, then applied.

Without --apply it only prints what would change (the chat's preview, the same checks); with
--apply it applies in one transaction through the records repository (actor "cli", audited; each
applicant's message is queued in the delivery ledger for the running bot to send).

Output (text): a summary line, then one line per change and per refused row:

    import of 名单.xlsx into xiaogan-2023: 3 to change, 5 unchanged, 1 refused
    change   row 2 (汉川市人民医院) XG2023-0001 pre_registered -> admitted
    refused  row 7 (汉川市人民医院) XG2023-0006 transition: 当前状态“已报到”不能改为“资格审核通过”
    applied 3

--jsonl: one object per change or refused row ({"outcome": "change"|"refused", "sheet", "row",
"receipt", "old", "new"} or {..., "code", "why"}), then {"summary": true, "changes", "unchanged",
"refused", "applied"} (applied: null without --apply).
Exit codes: 0 every row fine, 1 some rows refused (the others applied with --apply), 2 a bad
file or campaign (nothing changed). Imports no aiogram.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings, campaign_for, campaigns_for, settings_for


def _load(args: argparse.Namespace) -> tuple[Any, Any, Any, bytes] | str:
    settings = settings_for(args)
    catalogue = campaigns_for(settings)
    campaign = campaign_for(catalogue, args.campaign)
    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        return f"cannot read {args.file}: {error.strerror}"
    return settings, catalogue, campaign, data


def main(args: argparse.Namespace) -> int:
    from bot.clock import Clock
    from bot.xlsx_export import columns_of
    from bot.xlsx_import import ImportFileError, read_file
    from bot.xlsx_report import plain
    from content.texts import default_texts

    loaded = _load(args)
    if isinstance(loaded, str):
        print(loaded, file=sys.stderr)
        return 2
    settings, catalogue, campaign, data = loaded
    texts = default_texts()
    try:
        parsed = read_file(data, texts=texts,
                           columns_of=lambda slug, table: columns_of(texts, catalogue, slug, table))
        if parsed.campaign_slug != campaign.slug:
            raise ImportFileError("other_campaign", campaign=campaign.name)
    except ImportFileError as error:
        print(plain(texts(f"import.file.{error.code}", **error.values)), file=sys.stderr)
        return 2
    now = settings.now or Clock().now()
    url = settings.effective_database_url
    outcome = asyncio.run(_run(url, settings, campaign, parsed, texts, now, apply=args.apply))
    _print(args, Path(args.file).name, campaign, outcome, texts)
    return 1 if outcome["refused"] else 0


async def _run(url: str, settings: Settings, campaign: Any, parsed: Any, texts: Any,
               now: datetime, *, apply: bool) -> dict[str, Any]:
    from bot.xlsx_import import Refusal, validate
    from storage import audit
    from storage.engine import one_session
    from storage.keys import open_vault
    from storage.status_imports import apply_changes, by_receipt

    async with one_session(url) as session:
        async with session.begin():
            vault = await open_vault(session, settings, now)
        async with session.begin():
            found = await by_receipt(session, campaign_slug=campaign.slug)

            def id_matches(registration: Any, cell: str) -> bool:
                return cell == registration.id_masked or \
                    vault.hash_id(cell) == registration.id_hash

            preview = validate(parsed, registrations=found, texts=texts, scope_base=None,
                               id_matches=id_matches)
            refused = list(preview.refusals)
            applied = None
            if apply:
                result = await apply_changes(
                    session, changes=[vars(c) for c in preview.changes], campaign=campaign,
                    texts=texts, scope_base=None, actor_id=None, actor_label=audit.CLI_ACTOR,
                    actor_role="", now=now, source="cli")
                refused += [Refusal(**r) for r in result.refused]
                applied = len(result.changed)
                await audit.record(
                    session, action="record.import", now=now, actor=audit.CLI_ACTOR,
                    campaign_slug=campaign.slug, audience_size=applied,
                    detail=f"applied={applied} refused={len(refused)} "
                           f"unchanged={preview.unchanged} source=cli")
            statuses = {r: x.status for r, x in found.items()}
    return {"changes": preview.changes, "refused": refused, "unchanged": preview.unchanged,
            "applied": applied, "statuses": statuses}


def _print(args: argparse.Namespace, name: str, campaign: Any, outcome: dict[str, Any],
           texts: Any) -> None:
    from bot.xlsx_report import plain, refusal_reason

    changes, refused = outcome["changes"], outcome["refused"]

    def why(refusal: Any) -> str:
        return plain(refusal_reason(texts, refusal, outcome["statuses"], campaign))

    if args.jsonl:
        for c in changes:
            print(json.dumps({"outcome": "change", "sheet": c.sheet, "row": c.row,
                              "receipt": c.receipt, "old": c.old, "new": c.new},
                             ensure_ascii=False))
        for r in refused:
            print(json.dumps({"outcome": "refused", "sheet": r.sheet, "row": r.row,
                              "receipt": r.receipt, "code": r.code, "why": why(r)},
                             ensure_ascii=False))
        print(json.dumps({"summary": True, "changes": len(changes),
                          "unchanged": outcome["unchanged"], "refused": len(refused),
                          "applied": outcome["applied"]}, ensure_ascii=False))
        return
    print(f"import of {name} into {campaign.slug}: {len(changes)} to change, "
          f"{outcome['unchanged']} unchanged, {len(refused)} refused")
    for c in changes:
        print(f"change   row {c.row} ({c.sheet}) {c.receipt} {c.old} -> {c.new}")
    for r in refused:
        print(f"refused  row {r.row} ({r.sheet}) {r.receipt} {r.code}: {why(r)}")
    if outcome["applied"] is not None:
        print(f"applied {outcome['applied']}")
