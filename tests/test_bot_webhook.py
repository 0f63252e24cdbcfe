"""Webhook mode and the HTTP server through a real `zhaolu run` process against the loopback Bot
API: the secret is checked on every request, an update is answered 200 once recorded and then
handled, a duplicate update_id is handled once, /healthz, /readyz and /metrics answer."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from tests.loopback_telegram import SECRET_HEADER, LoopbackTelegram
from tests.test_bot_inbox import HELP, replies
from tests.worker_process import (
    WorkerProcess,
    free_port,
    no_leftover_workers,  # noqa: F401 - a fixture
    until,
)

SECRET = "s3cret_for-tests"


def text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "小李"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}}


async def test_webhook_secret_dedupe_and_health(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with LoopbackTelegram() as telegram, ClientSession() as http:
        telegram.webhook_url = "https://old.example.org/hook"
        worker = await WorkerProcess(
            telegram, tmp_path, ZHAOLU_WEBHOOK_URL=f"{base}/tg/hook?x=1",
            ZHAOLU_WEBHOOK_SECRET=SECRET, ZHAOLU_HTTP_PORT=str(port)).start()
        await worker.wait_log("webhook set")
        hook = telegram.calls("setWebhook")[-1]
        assert (hook["secret_token"], hook["max_connections"]) == (SECRET, 40)
        assert "message" in hook["allowed_updates"]

        async def post(update: dict[str, Any], secret: str | None) -> int:
            headers = {SECRET_HEADER: secret} if secret is not None else {}
            async with http.post(f"{base}/tg/hook", json=update, headers=headers) as response:
                return response.status

        # Without the secret, or with another: 401, never handled.
        assert await post(text_update(900, 801, "/help"), None) == 401
        assert await post(text_update(901, 801, "/help"), "wrong") == 401
        # Telegram's own push carries the secret: recorded, answered 200, then handled.
        telegram.push_text(802, "/help")
        await until(lambda: replies(telegram, 802), 20, "the pushed update answered")
        # The same update_id twice (Telegram retrying after a lost answer): handled once.
        assert [await post(text_update(902, 803, "/help"), SECRET) for _ in range(2)] == [200] * 2
        await until(lambda: replies(telegram, 803), 20, "the posted update answered")

        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200 and (await response.json())["alive"] is True
        async with http.get(f"{base}/readyz") as response:
            ready = await response.json()
            assert response.status == 200, ready
        assert (ready["database"], ready["bot_api"], ready["failing"]) == ("ok", "ok", [])
        assert ready["scheduler"]["here"] is True
        assert ready["scheduler"]["holder"] == ready["worker"]  # the SQLite file lock's holder
        assert ready["scheduler"]["last_tick"]["worker"] == ready["worker"]  # the tick at start
        assert ready["inbox"] == {"here": 0, "handled_here": 2, "unhandled": 0}
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 200 and response.content_type == "text/plain"
            exposition = await response.text()
        assert 'zhaolu_updates_handled_total{outcome="handled"}' in exposition
        telegram.fail(500, methods={"getMe"}, seconds=5)  # the Bot API is down
        async with http.get(f"{base}/readyz") as response:
            down = await response.json()
            assert response.status == 503 and down["failing"] == ["bot_api"], down
        # A stop lets the update in flight finish; meanwhile new ones get 503 (Telegram
        # delivers them again later, to another worker) and /readyz says it is stopping.
        telegram.delays["sendMessage"] = 2.0
        assert await post(text_update(903, 804, "/help"), SECRET) == 200
        await until(lambda: any(r.params.get("chat_id") == 804 for r in telegram.requests
                                if r.method == "sendMessage"), 20, "a reply in flight")
        worker.send(signal.SIGTERM)
        await worker.wait_log("SIGTERM: stopping")
        assert await post(text_update(904, 805, "/help"), SECRET) == 503
        async with http.get(f"{base}/readyz") as response:
            assert response.status == 503 and (await response.json())["failing"][0] == "stopping"
        assert await worker.stop() == 0
    assert [HELP in text for text in replies(telegram, 804)] == [True]
    assert not replies(telegram, 801) and not replies(telegram, 805)
    assert [HELP in text for text in replies(telegram, 803)] == [True]
    assert "replacing the webhook that was set (https://old.example.org/hook)" in worker.log
    assert worker.log.count("without the right secret: refused (401)") == 2
    assert "deleteWebhook" not in [r.method for r in telegram.requests]  # others still serve
    assert SECRET not in worker.log and "x=1" not in worker.log
    assert not telegram.violations, json.dumps(telegram.violations, ensure_ascii=False)


async def test_a_webhook_telegram_refuses_stops_the_start_with_one_line(tmp_path: Path) -> None:
    async with LoopbackTelegram() as telegram:
        telegram.fail(400, methods={"setWebhook"})  # as Telegram refuses a URL it cannot use
        worker = await WorkerProcess(
            telegram, tmp_path, ZHAOLU_WEBHOOK_URL="http://127.0.0.1:9/hook?x=1",
            ZHAOLU_WEBHOOK_SECRET=SECRET, ZHAOLU_HTTP_PORT=str(free_port())).start()
        assert await worker.exited() == 3
    last = worker.log.strip().splitlines()[-1]
    assert last.startswith("zhaolu run: cannot start: ZHAOLU_WEBHOOK_URL "
                           "(http://127.0.0.1:9/hook): Telegram refused the webhook")
    assert "Traceback" not in worker.log and "x=1" not in worker.log
