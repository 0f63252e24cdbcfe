"""zhaolu shell: the local chat on the real handlers (see bot/shell.py)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.clock import parse_moment
from bot.logs import setup_logging
from bot.settings import Settings


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "db", None):
        overrides["database_url"] = args.db
    if getattr(args, "content", None):
        overrides["content_dir"] = Path(args.content)
    return Settings(**overrides)


def main(args: argparse.Namespace) -> int:
    from bot.shell import run_shell

    settings = settings_from(args)
    setup_logging("WARNING")
    now = parse_moment(args.now) if args.now else None
    return asyncio.run(run_shell(settings, user_id=args.user, jsonl=args.jsonl, now=now))
