"""The WeChat channel end to end: signed callbacks in, the real Dispatcher, WeChat messages out
(passive replies, or the customer-service API of a loopback WeChat)."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.wechat import server as wechat_server
from storage.registrations import delete_user_data
from storage.wechat import WECHAT_BASE, WeChatHeld
from tests.loopback_wechat import APPID, SECRET, TOKEN, LoopbackWeChat, callback_xml, signed
from tests.wechat_chat import OPENID, WeChat, preregister, text_of


async def test_the_url_check_echoes_only_when_signed(wechat: WeChat) -> None:
    query, _ = signed("")
    ok = await wechat.client.get("/wechat", params={**query, "echostr": "e42"})
    assert ok.status == 200 and await ok.text() == "e42"
    forged = await wechat.client.get("/wechat", params={**query, "signature": "0" * 40,
                                                         "echostr": "e42"})
    assert forged.status == 403 and await forged.text() != "e42"


async def test_a_forged_callback_is_refused_and_not_handled(wechat: WeChat) -> None:
    response = await wechat.post(callback_xml(OPENID, text="报名时间"), token="not-the-token")
    assert response.status == 403
    await wechat.channel.endpoint.drain()
    assert wechat.api.sent == []


async def test_scanning_a_campaign_qr_code_opens_its_menu(wechat: WeChat) -> None:
    seen = await wechat.event("subscribe", "qrscene_xiaogan-2023")
    shown = text_of(seen)
    assert "孝感" in shown
    menu = wechat.api.to(OPENID)[-1]
    assert menu["msgtype"] == "msgmenu"
    labels = [i["content"] for i in menu["msgmenu"]["list"]]
    assert labels and all(len(i["id"].encode()) <= 64 for i in menu["msgmenu"]["list"])
    assert "<b>" not in shown and "&lt;" not in shown


async def test_menu_clicks_run_the_same_handlers(wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    menu = wechat.api.to(OPENID)[-1]["msgmenu"]["list"]
    label = next(i["content"] for i in menu if "时间" in i["content"] or "报名" in i["content"])
    seen = await wechat.click(label)
    assert seen and "2023" in text_of(seen)


async def test_a_question_gets_the_notices_answer(wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    seen = await wechat.say("报名截止到什么时候")
    assert "5月" in text_of(seen)


async def test_a_repeated_callback_is_answered_once(wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    xml = callback_xml(OPENID, text="报名截止到什么时候", msgid=777001)
    first = await wechat._seen(await wechat.post(xml), OPENID, len(wechat.api.to(OPENID)))
    again = await wechat._seen(await wechat.post(xml), OPENID, len(wechat.api.to(OPENID)))
    assert first and again == []


async def test_safe_mode_decrypts_and_encrypts(wechat: WeChat) -> None:
    wechat.channel.endpoint.crypto = __import__("wechatpy.crypto", fromlist=["x"]).WeChatCrypto(
        TOKEN, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", APPID)
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    response = await wechat.post(callback_xml(OPENID, text="在吗"), safe=True)
    body = await response.text()
    assert response.status == 200
    if body != "success":  # a passive reply, encrypted as the request was
        assert "<Encrypt>" in body and "在" not in body


async def test_a_slow_handler_is_answered_through_the_api_never_twice(
        wechat: WeChat, monkeypatch: pytest.MonkeyPatch) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    monkeypatch.setattr(wechat_server, "PASSIVE_BUDGET", 0.0)
    before = len(wechat.api.to(OPENID))
    response = await wechat.post(callback_xml(OPENID, text="报名截止到什么时候"))
    assert await response.text() == "success"  # no passive reply …
    await wechat.channel.endpoint.drain()
    sent = wechat.api.to(OPENID)[before:]
    assert len(sent) == 1 and "5月" in str(sent[0])  # … the answer once, through the API


async def test_an_expired_token_is_refreshed_once(wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    fetches = wechat.api.token_fetches
    wechat.api.expire_token()
    await wechat.channel.bot.send_message(WECHAT_BASE + 1, "通知：明天截止")
    assert wechat.api.token_fetches == fetches + 1
    assert "通知：明天截止" in str(wechat.api.to(OPENID)[-1])


async def test_outside_the_window_a_staff_message_is_held_and_shown_once(
        wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    await wechat.say("你好")
    wechat.clock.set(wechat.clock.now() + timedelta(hours=49))
    user_id = WECHAT_BASE + 1
    await wechat.channel.bot.send_message(user_id, "<b>答复</b>：请带毕业证原件 a&lt;b")
    assert not any("毕业证原件" in str(m) for m in wechat.api.to(OPENID))
    seen = text_of(await wechat.say("你好"))
    assert "您有 1 条未读消息" in seen and "【答复】：请带毕业证原件 a<b" in seen
    assert seen.index("未读消息") < seen.index("毕业证原件")
    again = text_of(await wechat.say("你好"))
    assert "毕业证原件" not in again and "未读消息" not in again


async def test_a_held_message_is_erased_with_the_users_data(wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    await wechat.say("你好")
    wechat.clock.set(wechat.clock.now() + timedelta(hours=49))
    await wechat.channel.bot.send_message(WECHAT_BASE + 1, "答复：电话 0712-1234567")
    async with wechat.services.sessionmaker() as session:
        assert len((await session.exec(select(WeChatHeld))).all()) == 1
        await delete_user_data(session, user_id=WECHAT_BASE + 1)
        await session.commit()
        assert (await session.exec(select(WeChatHeld))).all() == []


async def test_the_window_quota_is_respected(wechat: WeChat) -> None:
    await wechat.say("你好")
    user_id = WECHAT_BASE + 1
    before = len(wechat.api.to(OPENID))
    for n in range(8):
        await wechat.channel.bot.send_message(user_id, f"通知{n}")
    assert len(wechat.api.to(OPENID)) - before <= 5



async def test_the_privacy_texts_name_wechat_and_warn_before_the_id_number(
        wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    await wechat.click("暂不需要")
    notice = text_of(await wechat.say("/register"))
    assert "微信公众号" in notice and "Telegram" not in notice
    consent = text_of(await wechat.click("✅ 同意并开始"))
    assert "无法删除您发出的消息" in consent and "敏感个人信息" in consent


async def test_a_poster_qr_code_per_campaign(tmp_path: Path) -> None:
    api = LoopbackWeChat()
    await api.start()
    env = {**os.environ, "ZHAOLU_WECHAT_APPID": APPID, "ZHAOLU_WECHAT_SECRET": SECRET,
           "ZHAOLU_WECHAT_TOKEN": TOKEN, "ZHAOLU_WECHAT_API_URL": api.base_url}
    out = tmp_path / "qr.png"
    try:
        done = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "wechat", "qrcode", "--campaign", "fujian-2023",
            "--out", str(out), env=env, stdout=PIPE, stderr=PIPE)
        stdout, stderr = await done.communicate()
        unknown = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "wechat", "qrcode", "--campaign", "nowhere",
            "--out", str(tmp_path / "x.png"), env=env, stdout=PIPE, stderr=PIPE)
        _, refused = await unknown.communicate()
    finally:
        await api.stop()
    assert done.returncode == 0, stderr.decode()
    assert out.read_bytes().startswith(b"\x89PNG") and api.scenes == ["fujian-2023"]
    assert unknown.returncode == 2 and "nowhere" in refused.decode()
    assert len(refused.decode().strip().splitlines()) == 1


async def test_a_whole_pre_registration_over_wechat(wechat: WeChat) -> None:
    summary, receipt = await preregister(wechat)
    assert "4209**********" in summary and "138****5678" in summary
    assert "XG2023-0001" in receipt and "<code>" not in receipt
    mine = text_of(await wechat.say("/my"))
    assert "XG2023-0001" in mine
    # Every message WeChat got keeps its limits.
    for message in wechat.api.sent:
        if message["msgtype"] == "text":
            assert len(message["text"]["content"].encode()) <= 2048
        else:
            assert len(message["msgmenu"]["head_content"].encode()) <= 1024
            assert len(message["msgmenu"]["list"]) <= 10


async def test_the_self_check_over_wechat(wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    await wechat.say("/menu")
    assert "第1题" in text_of(await wechat.click("我能报吗？"))
    for answer in ("大专", "临床医学", "1999-03-02", "都没有", "没有工作单位"):
        await wechat.say(answer)  # typed: the same words the buttons carry
    result = text_of(await wechat.say("都不是"))
    assert "符合报名条件" in result and "24周岁" in result and "<b>" not in result
