"""`zhaolu run` serves every configured channel: real processes against the loopback WeChat
(and the loopback Bot API): WeChat alone, WeChat beside Telegram, the access token shared by the
workers of one database, and start-up refusals naming the setting."""

from __future__ import annotations

import signal
from pathlib import Path

import xmltodict
from aiohttp import ClientSession

from tests.loopback_telegram import LoopbackTelegram
from tests.loopback_wechat import APPID, SECRET, TOKEN, LoopbackWeChat, callback_xml, signed
from tests.test_bot_inbox import HELP, replies
from tests.worker_process import (
    WorkerProcess,
    free_port,
    no_leftover_workers,  # noqa: F401 - a fixture
    until,
)

OPENID = "o_run_1"


def wechat_env(api: LoopbackWeChat, port: int, **extra: str) -> dict[str, str]:
    return {"ZHAOLU_WECHAT_APPID": APPID, "ZHAOLU_WECHAT_SECRET": SECRET,
            "ZHAOLU_WECHAT_TOKEN": TOKEN, "ZHAOLU_WECHAT_API_URL": api.base_url,
            "ZHAOLU_HTTP_PORT": str(port)} | extra


async def say(http: ClientSession, api: LoopbackWeChat, port: int, xml: str) -> list[str]:
    """Post a callback as WeChat does; what the user sees (passive reply, then API messages)."""
    data = xmltodict.parse(xml)["xml"]
    api.grant(data["FromUserName"], "subscribe" if data["MsgType"] == "event" else "message")
    before = len(api.to(data["FromUserName"]))
    query, body = signed(xml)
    async with http.post(f"http://127.0.0.1:{port}/wechat", params=query,
                         data=body.encode()) as response:
        assert response.status == 200, await response.text()
        answer = await response.text()
    seen = [] if answer == "success" else [xmltodict.parse(answer)["xml"]["Content"]]
    if not seen:
        await until(lambda: len(api.to(data["FromUserName"])) > before, 20, "an API message")
    return seen + [str(m) for m in api.to(data["FromUserName"])[before:]]


async def test_wechat_alone_is_served_and_the_token_is_shared(tmp_path: Path) -> None:
    port, second_port = free_port(), free_port()
    api = LoopbackWeChat()
    await api.start()
    try:
        async with LoopbackTelegram() as telegram, ClientSession() as http:
            worker = await WorkerProcess(telegram, tmp_path, **wechat_env(
                api, port, ZHAOLU_BOT_TOKEN="")).start()
            await worker.wait_log(f"running on WeChat account {APPID}")
            await worker.wait_log("WeChat callbacks /wechat")
            query, _ = signed("")
            async with http.get(f"http://127.0.0.1:{port}/wechat",
                                params={**query, "echostr": "e7"}) as response:
                assert (response.status, await response.text()) == (200, "e7")
            seen = await say(http, api, port, callback_xml(
                OPENID, event="subscribe", event_key="qrscene_xiaogan-2023"))
            assert "孝感" in "\n".join(seen)
            seen = await say(http, api, port, callback_xml(OPENID, text="报名截止到什么时候"))
            assert "5月" in "\n".join(seen)
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                ready = await response.json()
            assert response.status == 200, ready
            assert ready["wechat_api"] == "ok" and "bot_api" not in ready
            # A second worker on the same database uses the token the first one fetched.
            second = await WorkerProcess(telegram, tmp_path, name="second", **wechat_env(
                api, second_port, ZHAOLU_BOT_TOKEN="")).start()
            await second.wait_log("WeChat callbacks /wechat")
            seen = await say(http, api, second_port, callback_xml(OPENID, text="/help"))
            assert HELP in "\n".join(seen)
            assert api.token_fetches == 1
            worker.send(signal.SIGTERM)
            assert await worker.stop() == 0 and await second.stop() == 0
        assert telegram.requests == []  # no bot token: Telegram is never called
    finally:
        await api.stop()
    assert "local chat shell" not in worker.log and SECRET not in worker.log
    assert "Traceback" not in worker.log and " ERROR " not in worker.log, worker.log


async def test_telegram_and_wechat_together(tmp_path: Path) -> None:
    port = free_port()
    api = LoopbackWeChat()
    await api.start()
    try:
        async with LoopbackTelegram() as telegram, ClientSession() as http:
            telegram.push_text(711, "/help")
            worker = await WorkerProcess(telegram, tmp_path, **wechat_env(api, port)).start()
            await worker.wait_log("and WeChat account")
            await worker.wait_log("WeChat callbacks /wechat")
            await until(lambda: replies(telegram, 711), 20, "the Telegram update answered")
            seen = await say(http, api, port, callback_xml(OPENID, text="/help"))
            assert HELP in "\n".join(seen) and HELP in replies(telegram, 711)[0]
            assert await worker.stop() == 0
    finally:
        await api.stop()
    assert "running on Telegram as @" in worker.log


async def test_start_up_refusals_name_the_wechat_setting(tmp_path: Path) -> None:
    api = LoopbackWeChat()
    await api.start()
    try:
        async with LoopbackTelegram() as telegram:
            wrong = await WorkerProcess(telegram, tmp_path, name="wrong", **wechat_env(
                api, free_port(), ZHAOLU_BOT_TOKEN="", ZHAOLU_WECHAT_SECRET="not-it")).start()
            no_port = await WorkerProcess(telegram, tmp_path, name="noport", **{
                k: v for k, v in wechat_env(api, 1).items() if k != "ZHAOLU_HTTP_PORT"}).start()
            assert await wrong.exited() == 3 and await no_port.exited() == 2
    finally:
        await api.stop()
    last = wrong.log.strip().splitlines()[-1]
    assert last.startswith("zhaolu run: cannot start: ZHAOLU_WECHAT_SECRET: WeChat refused")
    assert "not-it" not in wrong.log and "Traceback" not in wrong.log
    assert no_port.log.strip().splitlines()[-1].startswith("zhaolu run: ZHAOLU_HTTP_PORT:") \
        or "ZHAOLU_HTTP_PORT: required with the WeChat settings" in no_port.log
