"""zhaolu run: on Telegram when ZHAOLU_BOT_TOKEN is set, otherwise the local shell."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.logs import setup_logging
from bot.settings import SettingsError, settings_for


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if settings.bot_token is None:
        setup_logging("WARNING")  # the chat is on this terminal: keep the logs out of it
        from bot.shell import run_shell

        when = f", clock set to {settings.now.isoformat()}" if settings.now else ""
        opened = ("ZHAOLU_BOT_TOKEN is not set: opening the local chat shell "
                  f"(database {settings.effective_database_url}{when}).")
        return asyncio.run(run_shell(settings, user_id=1001, jsonl=False, now=settings.now,
                                     opened=opened))
    if settings.now is not None:
        # Production never runs on a fake clock: reminders would go out on the wrong day.
        raise SettingsError("ZHAOLU_NOW is for the local shell only; unset it (or unset "
                            "ZHAOLU_BOT_TOKEN to try the bot at that moment in the shell)")
    from bot.serve import serve
    from bot.startup import EXIT_STARTUP, StartupError, mask_token_in_logs, masked_token

    setup_logging(settings.log_level, settings.log_format)
    mask_token_in_logs(settings)
    try:
        asyncio.run(serve(settings, scheduler=not args.no_scheduler))
    except StartupError as error:
        if settings.log_level.upper() == "DEBUG":
            raise
        token = settings.bot_token.get_secret_value()
        line = str(error).replace(token, masked_token(token))
        print(f"zhaolu run: cannot start: {line}", file=sys.stderr)
        return EXIT_STARTUP
    return 0
