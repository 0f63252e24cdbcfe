"""zhaolu shell: the local chat on the real handlers (see bot/shell.py)."""

from __future__ import annotations

import argparse
import asyncio

from bot.logs import setup_logging
from bot.settings import settings_for


def main(args: argparse.Namespace) -> int:
    from bot.shell import run_shell

    settings = settings_for(args)  # --now, else ZHAOLU_NOW, else real time
    setup_logging("WARNING")
    return asyncio.run(run_shell(settings, user_id=args.user, jsonl=args.jsonl,
                                 now=settings.now))
