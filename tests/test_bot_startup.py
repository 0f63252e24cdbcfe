"""`zhaolu run` with a token fails fast and says why: one line naming the setting, exit 3 (2 for a
setting that cannot be parsed), no traceback, never the token; each check bounded in time."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.settings import Settings
from bot.startup import StartupError, TokenFilter, check_database, check_redis

TOKEN = "123456:SECRET-part-of-the-token"


def free_port() -> int:
    """A local port nothing listens on: connecting there is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHAOLU_")}
    base = {"ZHAOLU_BOT_TOKEN": TOKEN, "ZHAOLU_VAR_DIR": str(tmp_path / "var"),
            "ZHAOLU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "ZHAOLU_TELEGRAM_API_URL": f"http://127.0.0.1:{free_port()}"}
    return subprocess.run([sys.executable, "-m", "bot.cli", "run"], text=True,
                          capture_output=True, env=clean | base | env, timeout=60)


def one_line(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert result.returncode == code, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "SECRET" not in result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_a_database_that_refuses(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://zhaolu:pw@127.0.0.1:{free_port()}/zhaolu"
    line = one_line(run({"ZHAOLU_DATABASE_URL": url}, tmp_path), 3, "ZHAOLU_DATABASE_URL",
                    "cannot be reached")
    assert "pw" not in line.replace("cannot", "")  # the password is hidden


def test_redis_that_refuses(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    one_line(run({"ZHAOLU_REDIS_URL": url}, tmp_path), 3, "ZHAOLU_REDIS_URL", "Redis")


def test_a_bot_api_that_is_not_there(tmp_path: Path) -> None:
    one_line(run({}, tmp_path), 3, "ZHAOLU_TELEGRAM_API_URL", "cannot be reached")


def test_an_api_url_without_scheme_never_shows_the_token(tmp_path: Path) -> None:
    result = run({"ZHAOLU_TELEGRAM_API_URL": "127.0.0.1:8081"}, tmp_path)
    one_line(result, 2, "ZHAOLU_TELEGRAM_API_URL", "http://")


def test_broken_content_names_the_directory(tmp_path: Path) -> None:
    broken = Path(__file__).parent / "fixtures" / "content" / "broken"
    one_line(run({"ZHAOLU_CONTENT_DIR": str(broken)}, tmp_path), 3, "ZHAOLU_CONTENT_DIR",
             "zhaolu check-content")


@pytest.fixture
async def refused_token() -> AsyncIterator[str]:
    """A Bot API that answers 401 to everything, as Telegram does to a revoked token."""
    async def handle(request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 401,
                                  "description": "Unauthorized"}, status=401)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    await runner.cleanup()


async def test_a_refused_token(tmp_path: Path, refused_token: str) -> None:
    result = await asyncio.to_thread(run, {"ZHAOLU_TELEGRAM_API_URL": refused_token}, tmp_path)
    one_line(result, 3, "ZHAOLU_BOT_TOKEN", "401")


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never says a word: a stalled host behind a firewall."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


async def test_each_check_gives_up_within_its_timeout(silent_server: int) -> None:
    """The same checks as at start, with a 1 s bound instead of 10 s."""
    url = f"postgresql+asyncpg://zhaolu@127.0.0.1:{silent_server}/zhaolu"
    for check, settings in ((check_database, Settings(database_url=url)),
                            (check_redis, Settings(redis_url=f"redis://127.0.0.1:{silent_server}"))):
        started = time.monotonic()
        with pytest.raises(StartupError, match="no answer within 1 s|Timeout|timed out"):
            await check(settings, 1.0)
        assert time.monotonic() - started < 3


def test_the_token_is_masked_in_every_log_line(caplog: pytest.LogCaptureFixture) -> None:
    record_filter = TokenFilter(TOKEN)
    logger = logging.getLogger("zhaolu.test")
    handler = logging.StreamHandler()
    handler.addFilter(record_filter)
    logger.addHandler(handler)
    try:
        records = []
        handler.emit = records.append  # type: ignore[method-assign]
        logger.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise ValueError(f"bad url https://x/bot{TOKEN}/getMe")
        except ValueError:
            logger.exception("request failed")
        shown = [handler.format(r) for r in records]
    finally:
        logger.removeHandler(handler)
    assert len(shown) == 2 and all("SECRET" not in s for s in shown)
    assert "bot123456:***/getMe" in shown[0] and "bot123456:***/getMe" in shown[1]
