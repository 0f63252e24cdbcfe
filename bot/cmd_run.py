"""zhaolu run: on Telegram when ZHAOLU_BOT_TOKEN is set, otherwise the local shell."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cmd_shell import settings_from
from bot.logs import setup_logging


def main(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if settings.bot_token is None:
        setup_logging("WARNING")  # the chat is on this terminal: keep the logs out of it
        from bot.shell import run_shell

        print("ZHAOLU_BOT_TOKEN is not set: opening the local chat shell "
              f"(database {settings.effective_database_url}).", file=sys.stderr)
        return asyncio.run(run_shell(settings, user_id=1001, jsonl=False, now=None))
    from bot.polling import run_polling

    setup_logging(settings.log_level)
    asyncio.run(run_polling(settings, scheduler=not args.no_scheduler))
    return 0
