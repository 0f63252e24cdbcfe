"""`zhaolu eligibility --campaign SLUG --profile JSON|@file [--now ISO] [--jsonl]`.

Checks a profile against a campaign's rules without a chat: for content authors and for testing
rules. Prints the verdict with every reason and its source; missing or invalid fields are
reported (exit 2), never guessed. Free of aiogram and of storage.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import SHANGHAI
from bot.settings import settings_for
from content.catalogue import load_catalogue
from content.eligibility import InvalidProfile, MissingFields, evaluate, parse_profile
from content.eligibility_render import missing_text, render_verdict, to_plain
from content.loader import ContentError
from content.texts import default_texts

USAGE_ERROR = 2


class Refusal(Exception):
    """What is wrong with the input, as (JSON payload, readable text)."""

    def __init__(self, payload: dict[str, Any], text: str) -> None:
        super().__init__(text)
        self.payload = payload
        self.text = text


def main(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except Refusal as refusal:
        if args.jsonl:
            _print_json(refusal.payload)
        else:
            print(refusal.text, file=sys.stderr)
        return USAGE_ERROR


def _run(args: argparse.Namespace) -> int:
    texts = default_texts()
    settings = settings_for(args)
    try:
        catalogue = load_catalogue(settings.content_dir)
    except ContentError as error:
        raise Refusal({"error": "content", "message": str(error)}, str(error)) from None
    campaign = catalogue.get(args.campaign)
    if campaign is None or campaign.eligibility is None:
        what = "unknown campaign" if campaign is None else "campaign has no eligibility rules"
        raise Refusal({"error": "campaign", "message": f"{what}: {args.campaign}",
                       "campaigns": catalogue.slugs}, f"{what}: {args.campaign} "
                      f"(campaigns: {', '.join(catalogue.slugs)})")
    now = settings.now or datetime.now(SHANGHAI)
    data = _read_profile(args.profile)
    try:
        profile = parse_profile(data, campaign.eligibility)
        verdict = evaluate(campaign, profile, now, texts)
    except MissingFields as missing:
        raise Refusal({"error": "missing_fields", "missing": missing.fields},
                      to_plain(missing_text(texts, missing.fields, campaign.eligibility))) from None
    except InvalidProfile as invalid:
        problems = [{"field": field, "message": message} for field, message in invalid.problems]
        lines = [to_plain(texts("eligibility.plain.invalid"))]
        lines += [f"  {p['field']}: {p['message']}" for p in problems]
        payload = {"error": "invalid_profile", "problems": problems}
        raise Refusal(payload, "\n".join(lines)) from None
    if args.jsonl:
        _print_json(verdict.to_json())
    else:
        print(to_plain(render_verdict(texts, campaign, verdict, profile)))
    return 0


def _read_profile(value: str) -> dict[str, Any]:
    source = value
    if value.startswith("@"):
        try:
            source = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise Refusal({"error": "profile", "message": str(error)}, str(error)) from None
    try:
        data = json.loads(source)
    except json.JSONDecodeError as error:
        message = f"profile is not valid JSON: {error}"
        raise Refusal({"error": "profile", "message": message}, message) from None
    if not isinstance(data, dict):
        message = "profile must be a JSON object"
        raise Refusal({"error": "profile", "message": message}, message)
    return data


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, ensure_ascii=False))
