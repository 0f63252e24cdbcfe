"""Start-up that fails fast and says why (`zhaolu run` with a channel).

Each dependency — content, database, Redis, the Bot API, the WeChat API — is checked once, each
within STARTUP_TIMEOUT seconds; the first that fails stops the start with one line naming the
setting to fix (StartupError), which `zhaolu run` prints without a traceback (exit 3). The bot
token and the WeChat secret never appear in a log line or an error: `TokenFilter` masks them
wherever they would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy.engine import make_url

from bot.settings import Settings

STARTUP_TIMEOUT = 10.0
EXIT_STARTUP = 3
T = TypeVar("T")


class StartupError(Exception):
    """One line: what failed and the setting to fix."""


def masked_token(token: str) -> str:
    """123456:ABC… -> 123456:***: the bot's id stays readable, the secret goes."""
    head, sep, _ = token.partition(":")
    return f"{head}:***" if sep else "***"


class TokenFilter(logging.Filter):
    """Replaces the bot token in every record (message, arguments, exception text)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token, self.mask = token, masked_token(token)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            # The formatted traceback may quote a URL with the token: keep only its masked text.
            error = record.exc_info[1]
            text = f"{type(error).__name__}: {error}"
            if self.token in text:
                record.exc_info, record.exc_text = None, None
                message = f"{message} ({text})"
        if self.token in message:
            record.msg, record.args = message.replace(self.token, self.mask), None
        return True


def mask_token_in_logs(settings: Settings) -> None:
    """Install TokenFilter on every handler of the root logger (set up before this), for the
    bot token and the WeChat secret (a token request carries it in its URL)."""
    for secret in (settings.bot_token, settings.wechat_secret):
        if secret is None:
            continue
        token_filter = TokenFilter(secret.get_secret_value())
        for handler in logging.getLogger().handlers:
            handler.addFilter(token_filter)


def shown_url(url: str) -> str:
    """A database or Redis URL as it may be shown: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse: show its scheme only
        return url.split("://", 1)[0] + "://…"


async def within(what: Awaitable[T], timeout: float, line: str) -> T:
    try:
        return await asyncio.wait_for(what, timeout)
    except TimeoutError:
        raise StartupError(f"{line}: no answer within {timeout:g} s") from None


def check_content(settings: Settings) -> None:
    from content.catalogue import load_catalogue
    from content.loader import ContentError

    try:
        load_catalogue(settings.content_dir)
    except ContentError as error:
        raise StartupError(f"ZHAOLU_CONTENT_DIR ({settings.content_dir}): {len(error.issues)} "
                           "problem(s) in the campaign files; run `zhaolu check-content "
                           f"{settings.content_dir}` to see them") from None


async def check_database(settings: Settings, timeout: float) -> None:
    from sqlalchemy import text

    from storage.engine import create_engine

    url = settings.effective_database_url
    line = f"ZHAOLU_DATABASE_URL ({shown_url(url)}): the database cannot be reached"
    try:
        engine = create_engine(url)
    except Exception as error:  # noqa: BLE001 - a malformed URL, an unknown driver
        raise StartupError(f"ZHAOLU_DATABASE_URL ({shown_url(url)}) cannot be used: "
                           f"{_reason(error)}") from None
    try:
        async def ping() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        await within(ping(), timeout, line)
    except StartupError:
        raise
    except Exception as error:  # noqa: BLE001 - refused, unknown host, auth, missing database
        raise StartupError(f"{line}: {_reason(error)}") from None
    finally:
        await engine.dispose()


async def check_redis(settings: Settings, timeout: float) -> None:
    if not settings.redis_url:
        return
    from redis.asyncio import Redis

    line = f"ZHAOLU_REDIS_URL ({shown_url(settings.redis_url)}): Redis cannot be reached"
    client = Redis.from_url(settings.redis_url, socket_connect_timeout=timeout,
                            socket_timeout=timeout)
    try:
        await within(client.ping(), timeout, line)
    except StartupError:
        raise
    except Exception as error:  # noqa: BLE001 - refused, auth, unknown host
        raise StartupError(f"{line}: {_reason(error)}") from None
    finally:
        await client.aclose()


async def check_bot_api(bot: object, settings: Settings, timeout: float) -> str:
    """getMe: the bot's @username, or the setting to fix (a refused token, an unreachable API)."""
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    where = settings.telegram_api_url or "https://api.telegram.org"
    line = f"ZHAOLU_TELEGRAM_API_URL ({where}): the Bot API cannot be reached"
    try:
        me = await within(bot.get_me(request_timeout=int(timeout)), timeout, line)  # type: ignore[attr-defined]
    except TelegramUnauthorizedError:
        raise StartupError("ZHAOLU_BOT_TOKEN: Telegram refused this token (401); copy it again "
                           "from @BotFather") from None
    except StartupError:
        raise
    except TelegramNetworkError as error:
        raise StartupError(f"{line}: {_reason(error)}") from None
    except Exception as error:  # noqa: BLE001 - 404 for a wrong API URL, 5xx
        raise StartupError(f"{line}: {_reason(error)}") from None
    return str(me.username or me.id)


# What WeChat's refusals of the token request mean: the setting to fix.
_WECHAT_REFUSALS = {40013: "ZHAOLU_WECHAT_APPID", 40125: "ZHAOLU_WECHAT_SECRET",
                    40001: "ZHAOLU_WECHAT_SECRET", 40164: "ZHAOLU_WECHAT_APPID"}


async def check_wechat_api(api: object, settings: Settings, timeout: float) -> None:
    """The account's access token (the shared one, or a fresh one): WeChat accepts the AppID
    and secret, from this server's address (the account's IP whitelist)."""
    from bot.wechat.api import ApiError

    line = f"ZHAOLU_WECHAT_API_URL ({settings.wechat_api_url}): the WeChat API cannot be reached"
    try:
        await within(api.token(), timeout, line)  # type: ignore[attr-defined]
    except StartupError:
        raise
    except ApiError as error:
        name = _WECHAT_REFUSALS.get(error.code or 0,
                                    "ZHAOLU_WECHAT_APPID and ZHAOLU_WECHAT_SECRET")
        hint = " (add this server's address to the account's IP whitelist)" \
            if error.code == 40164 else ""
        raise StartupError(f"{name}: WeChat refused the access token request: "
                           f"{_reason(error)}{hint}") from None
    except Exception as error:  # noqa: BLE001 - refused connection, unknown host, 404
        raise StartupError(f"{line}: {_reason(error)}") from None


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]
