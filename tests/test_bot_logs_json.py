"""ZHAOLU_LOG_FORMAT=json: one JSON object a line, personal numbers and the token masked."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import setup_logging
from bot.settings import Settings
from bot.startup import mask_token_in_logs
from tests.loopback_telegram import TOKEN, LoopbackTelegram

ID = "420902199001011234"
MOBILE = "13812345678"


@contextlib.contextmanager
def logging_to(stream: io.StringIO, log_format: str) -> Iterator[None]:
    """The root logger set up afresh by setup_logging (inside the test: pytest adds its own
    handlers to the root before each test's call), writing to `stream`."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        setup_logging("INFO", log_format)
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        yield
    finally:
        root.handlers, root.level = handlers, level


def test_json_lines_parse_with_the_token_and_numbers_masked() -> None:
    root_stream = io.StringIO()
    with logging_to(root_stream, "json"):
        mask_token_in_logs(Settings(bot_token=TOKEN))
        log = logging.getLogger("zhaolu.test")
        log.info("calling http://api/bot%s/getMe for %s", TOKEN, MOBILE)
        try:
            raise ValueError(f"身份证 {ID}\nsecond line")
        except ValueError:
            log.exception("update 7 failed")
    lines = root_stream.getvalue().splitlines()
    assert len(lines) == 2  # the traceback's lines stay inside their record
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"time", "level", "logger", "message"}
    assert (first["level"], first["logger"]) == ("INFO", "zhaolu.test")
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert "123456:***" in first["message"] and MOBILE not in first["message"]
    assert second["message"] == "update 7 failed" and second["level"] == "ERROR"
    assert "ValueError" in second["exception"] and "Traceback" in second["exception"]
    text = root_stream.getvalue()
    assert TOKEN not in text and ID not in text and MOBILE not in text


def test_text_stays_the_default() -> None:
    root_stream = io.StringIO()
    with logging_to(root_stream, Settings().log_format):
        logging.getLogger("zhaolu.test").warning("plain %s", MOBILE)
    (line,) = root_stream.getvalue().splitlines()
    assert line.endswith("WARNING zhaolu.test: plain 138****5678")


def test_the_setting_is_checked() -> None:
    assert Settings(log_format="JSON").log_format == "json"
    with pytest.raises(ValueError, match="log_format"):
        Settings(log_format="xml")


async def test_zhaolu_run_logs_json_lines_without_the_token(tmp_path: Path) -> None:
    """A real `zhaolu run` answering a /start: every line it logs is JSON, none has the token."""
    async with LoopbackTelegram() as telegram:
        telegram.push_text(555, "/start xiaogan-2023")
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHAOLU_")}
        env = clean | {"ZHAOLU_BOT_TOKEN": TOKEN, "ZHAOLU_TELEGRAM_API_URL": telegram.base_url,
                       "ZHAOLU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
                       "ZHAOLU_VAR_DIR": str(tmp_path / "var"), "ZHAOLU_LOG_FORMAT": "json"}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            for _ in range(600):
                if telegram.sent_to(555) or process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert telegram.sent_to(555), stderr.decode()[-2000:]
    lines = stderr.decode().splitlines()
    records = [json.loads(line) for line in lines]  # each line parses on its own
    assert any("running on Telegram as @zl_bot" in r["message"] for r in records)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert TOKEN not in stderr.decode()
