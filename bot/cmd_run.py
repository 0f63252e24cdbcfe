"""zhaolu run: every configured channel (Telegram with ZHAOLU_BOT_TOKEN, a WeChat Official
Account with ZHAOLU_WECHAT_*), together or alone; the local shell when none is."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.logs import setup_logging
from bot.settings import SettingsError, settings_for


def main(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if settings.wechat and settings.http_port is None:
        raise SettingsError("ZHAOLU_HTTP_PORT: required with the WeChat settings (WeChat posts "
                            "the account's messages to /wechat on that port)")
    if settings.bot_token is None and not settings.wechat:
        setup_logging("WARNING")  # the chat is on this terminal: keep the logs out of it
        from bot.shell import run_shell

        when = f", clock set to {settings.now.isoformat()}" if settings.now else ""
        opened = ("Neither ZHAOLU_BOT_TOKEN nor the WeChat settings are set: opening the "
                  "local chat shell "
                  f"(database {settings.effective_database_url}{when}).")
        return asyncio.run(run_shell(settings, user_id=1001, jsonl=False, now=settings.now,
                                     opened=opened))
    if settings.now is not None:
        # Production never runs on a fake clock: reminders would go out on the wrong day.
        raise SettingsError("ZHAOLU_NOW is for the local shell only; unset it (or unset "
                            "ZHAOLU_BOT_TOKEN and the WeChat settings to try the bot at that "
                            "moment in the shell)")
    from bot.serve import serve
    from bot.startup import EXIT_STARTUP, StartupError, mask_token_in_logs, masked_token

    setup_logging(settings.log_level, settings.log_format)
    mask_token_in_logs(settings)
    try:
        asyncio.run(serve(settings, scheduler=not args.no_scheduler))
    except StartupError as error:
        if settings.log_level.upper() == "DEBUG":
            raise
        line = str(error)
        for secret in (settings.bot_token, settings.wechat_secret):
            if secret is not None:
                line = line.replace(secret.get_secret_value(),
                                    masked_token(secret.get_secret_value()))
        print(f"zhaolu run: cannot start: {line}", file=sys.stderr)
        return EXIT_STARTUP
    return 0
