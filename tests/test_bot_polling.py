"""The production path, offline: `zhaolu run` with a token against a loopback Bot API server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.bot_api import problems

TOKEN = "123456:TEST-token"


class FakeTelegram:
    """Speaks just enough Bot API: getMe, getUpdates (one /start, then nothing), sendMessage."""

    def __init__(self, webhook: str = "") -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.sent = asyncio.Event()
        self.handed_out = False
        self.webhook = webhook  # a webhook left set by an earlier deployment

    async def handle(self, request: web.Request) -> web.Response:
        assert request.match_info["token"] == TOKEN
        method = request.match_info["method"]
        if request.content_type == "application/json":  # bot/json_session.py
            params = await request.json()
        else:
            params = {k: _decode(v) for k, v in (await request.post()).items()}
        self.requests.append((method, params))
        return web.json_response({"ok": True, "result": await self.result(method, params)})

    async def result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "招录助手", "username": "zl_bot"}
        if method == "getWebhookInfo":
            return {"url": self.webhook, "has_custom_certificate": False,
                    "pending_update_count": 0}
        if method == "deleteWebhook":
            self.webhook = ""
            return True
        if method == "getUpdates":
            assert not self.webhook, "getUpdates while a webhook is set: Telegram answers 409"
            if not self.handed_out:
                self.handed_out = True
                return [{"update_id": 1, "message": {
                    "message_id": 1, "date": 1683684000, "text": "/start xiaogan-2023",
                    "chat": {"id": 555, "type": "private"},
                    "from": {"id": 555, "is_bot": False, "first_name": "小王"},
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}]
            await asyncio.sleep(0.2)
            return []
        if method == "sendMessage":
            self.sent.set()
            return {"message_id": 2, "date": 1683684001, "chat": {"id": 555, "type": "private"},
                    "text": params["text"]}
        return True


def _decode(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


async def test_run_with_a_token_polls_and_answers(tmp_path: Path) -> None:
    fake = FakeTelegram(webhook="https://old.example.org/hook?secret=1")
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    env = {**os.environ, "ZHAOLU_BOT_TOKEN": TOKEN,
           "ZHAOLU_TELEGRAM_API_URL": f"http://127.0.0.1:{port}",
           "ZHAOLU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
           "ZHAOLU_VAR_DIR": str(tmp_path / "var")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await asyncio.wait_for(fake.sent.wait(), timeout=90)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        await runner.cleanup()
    methods = [m for m, _ in fake.requests]
    assert "getMe" in methods and "setMyCommands" in methods and "getUpdates" in methods
    replies = [p for m, p in fake.requests if m == "sendMessage"]
    assert replies[0]["chat_id"] == 555
    assert "孝感" in "".join(p["text"] for p in replies)
    for method, params in fake.requests:
        assert not problems(method, params), (method, params)
    assert process.returncode == 0, stderr.decode()[-2000:]
    # The leftover webhook was deleted, with a line saying so (its query string not shown).
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    log = stderr.decode()
    assert "deleted the webhook that was set (https://old.example.org/hook)" in log
    assert "TEST-token" not in log and "secret=1" not in log
    # The long poll is short: a stalled connection is abandoned in seconds.
    polls = [p for m, p in fake.requests if m == "getUpdates"]
    assert all(int(p.get("timeout", 0)) <= 5 for p in polls)
