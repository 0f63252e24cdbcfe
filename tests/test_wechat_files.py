"""Files to WeChat users: a photo is uploaded as a temporary image and sent as an image message
(its caption after it); a document cannot be sent (WeChat's customer-service messages carry
none): its caption and a link to it when ZHAOLU_PUBLIC_URL is set, else a line saying so."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from storage.registrations import delete_user_data
from storage.retention import purge
from storage.staff import COORDINATOR
from storage.wechat import WECHAT_BASE
from storage.wechat_files import WeChatFile
from tests.loopback_wechat import PNG, callback_xml
from tests.staff_helpers import COORD, XG, choose, give_role, press_with, send_now, tick
from tests.wechat_chat import OPENID, WeChat, open_wechat, preregister, telegram_side, text_of


async def test_a_staff_members_photo_reaches_the_applicant_as_an_image(wechat: WeChat) -> None:
    await preregister(wechat)
    staff = telegram_side(wechat)
    await give_role(staff, COORD, COORDINATOR, XG)
    await wechat.say("/ask_staff")
    await wechat.say("请问宿舍在哪里？")
    await press_with(staff, "回复", COORD)
    # The coordinator answers with a photo on Telegram; the bot fetches it through the Bot API.
    wechat.telegram.files[f"ph{wechat.telegram.update_ids.last + 1}"] = PNG
    before = len(wechat.api.to(OPENID))
    await staff.send_content("photo", COORD, caption="宿舍在三号楼，见图")
    sent = wechat.api.to(OPENID)[before:]
    assert [m["msgtype"] for m in sent][:1] == ["image"], sent
    assert wechat.api.media[sent[0]["image"]["media_id"]] == ("image", PNG)
    shown = "\n".join(str(m) for m in sent[1:])
    assert "宿舍在三号楼，见图" in shown and "老师答复" in shown


async def test_a_document_becomes_its_caption_and_a_note(wechat: WeChat) -> None:
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    seen = text_of(await wechat.say("/mydata"))
    assert "微信公众号无法发送文件" in seen
    assert wechat.api.media == {}


async def test_an_applicants_wechat_photo_reaches_staff_on_telegram(wechat: WeChat) -> None:
    await preregister(wechat)
    staff = telegram_side(wechat)
    await give_role(staff, COORD, COORDINATOR, XG)
    await wechat.say("/ask_staff")
    wechat.api.media["m-user-1"] = ("image", PNG)  # what WeChat keeps of the user's photo
    before = len(wechat.telegram.calls)
    await wechat.event_xml(callback_xml(OPENID, kind="image", media_id="m-user-1"))
    [photo] = [c for c in wechat.telegram.calls[before:] if c.method == "sendPhoto"]
    assert int(photo.chat_id) == COORD
    assert photo.files is not None and list(photo.files.values()) == [PNG]  # uploaded


@pytest.fixture
async def linked(db_url: str, tmp_path: Path) -> AsyncIterator[WeChat]:
    """The channel with ZHAOLU_PUBLIC_URL set: files become links."""
    async with open_wechat(db_url, tmp_path, public_url="http://127.0.0.1:8443/") as opened:
        yield opened


def link_in(shown: str) -> str:
    found = re.findall(r'<a href="http://127\.0\.0\.1:8443(/wechat/file/[^"]+)">', shown)
    assert len(found) == 1, shown
    return found[0]


async def test_mydata_comes_as_a_link_to_the_json_file(linked: WeChat) -> None:
    await preregister(linked)
    seen = text_of(await linked.say("/mydata"))
    assert "微信公众号无法发送文件" not in seen and "24 小时内有效" in seen
    assert "用户编号" in seen and "Telegram" not in seen
    response = await linked.client.get(link_in(seen))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(await response.read())
    assert "张三" in json.dumps(data, ensure_ascii=False)


async def test_a_link_expires_after_a_day_and_after_ten_openings(linked: WeChat) -> None:
    await linked.event("subscribe", "qrscene_xiaogan-2023")
    first = link_in(text_of(await linked.say("/mydata")))
    second = link_in(text_of(await linked.say("/mydata")))
    assert first != second
    for _ in range(10):
        assert (await linked.client.get(first)).status == 200
    gone = await linked.client.get(first)
    assert gone.status == 404 and "链接已失效" in await gone.text()
    linked.clock.set(linked.clock.now() + timedelta(hours=24, seconds=1))
    assert (await linked.client.get(second)).status == 404
    assert (await linked.client.get("/wechat/file/not-a-token")).status == 404


async def test_a_staff_document_reaches_the_applicant_as_a_link(linked: WeChat) -> None:
    await preregister(linked)
    staff = telegram_side(linked)
    await give_role(staff, COORD, COORDINATOR, XG)
    await linked.say("/ask_staff")
    await linked.say("报到需要准备哪些材料？")
    await press_with(staff, "回复", COORD)
    before = len(linked.api.to(OPENID))
    await staff.send_content("document", COORD, file_name="材料清单.pdf", data=b"%PDF-1.4 list",
                             caption="材料清单见附件")
    shown = "\n".join(str(m) for m in linked.api.to(OPENID)[before:])
    assert "材料清单见附件" in shown and "微信公众号无法发送文件" not in shown
    response = await linked.client.get(link_in(shown))
    assert response.status == 200 and await response.read() == b"%PDF-1.4 list"


async def test_linked_files_go_with_the_users_data_and_when_expired(linked: WeChat) -> None:
    await linked.event("subscribe", "qrscene_xiaogan-2023")
    await linked.say("/mydata")
    await linked.say("/mydata")
    async with linked.services.sessionmaker() as session:
        assert len((await session.exec(select(WeChatFile))).all()) == 2
        report = await purge(session, due=[], now=linked.clock.now() + timedelta(days=2),
                             silent_since=linked.clock.now() - timedelta(days=30))
        assert report.counts["wechat_files"] == 2
        await session.rollback()
        await delete_user_data(session, user_id=WECHAT_BASE + 1)
        await session.commit()
        assert (await session.exec(select(WeChatFile))).all() == []


async def announce_file(wechat: WeChat, kind: str, **extra: object) -> None:
    """A coordinator on Telegram announces a photo or a document to the pre-registered."""
    staff = telegram_side(wechat)
    await give_role(staff, COORD, COORDINATOR, XG)
    await staff.send("/staff", COORD)
    await staff.press("📢 发通知", COORD)
    if kind == "photo":
        wechat.telegram.files[f"ph{wechat.telegram.update_ids.last + 1}"] = PNG
    await staff.send_content(kind, COORD, caption="资格审核安排见附件", **extra)
    await choose(staff, COORD, "preregistered")
    await send_now(staff, COORD)
    await tick(staff)


async def test_an_announcements_photo_reaches_wechat_as_an_image(wechat: WeChat) -> None:
    await preregister(wechat)
    before = len(wechat.api.to(OPENID))
    await announce_file(wechat, "photo")
    sent = wechat.api.to(OPENID)[before:]
    assert sent[0]["msgtype"] == "image", sent
    assert wechat.api.media[sent[0]["image"]["media_id"]] == ("image", PNG)
    shown = "\n".join(str(m) for m in sent[1:])
    assert "资格审核安排见附件" in shown and "无法" not in shown


async def test_an_announcements_document_is_one_shared_link(linked: WeChat) -> None:
    await preregister(linked)
    before = len(linked.api.to(OPENID))
    await announce_file(linked, "document", file_name="审核安排.pdf", data=b"%PDF-1.4 plan")
    shown = "\n".join(str(m) for m in linked.api.to(OPENID)[before:])
    assert "资格审核安排见附件" in shown and "审核安排.pdf" in shown
    response = await linked.client.get(link_in(shown))
    assert response.status == 200 and await response.read() == b"%PDF-1.4 plan"
    async with linked.services.sessionmaker() as session:
        [row] = (await session.exec(select(WeChatFile))).all()
    assert row.user_id is None and row.source is not None


async def test_a_waiting_announcements_document_comes_with_the_next_message(
        linked: WeChat) -> None:
    await preregister(linked)
    linked.clock.set(linked.clock.now() + timedelta(days=3))
    before = len(linked.api.to(OPENID))
    await announce_file(linked, "document", file_name="审核安排.pdf", data=b"%PDF-1.4 plan")
    assert linked.api.to(OPENID)[before:] == []
    seen = text_of(await linked.say("你好"))
    assert "您有 1 条未读消息" in seen and "资格审核安排见附件" in seen
    response = await linked.client.get(link_in(seen))
    assert await response.read() == b"%PDF-1.4 plan"


async def test_without_a_public_url_an_announcements_document_is_named_not_lost(
        wechat: WeChat) -> None:
    await preregister(wechat)
    before = len(wechat.api.to(OPENID))
    await announce_file(wechat, "document", file_name="审核安排.pdf", data=b"%PDF-1.4 plan")
    shown = "\n".join(str(m) for m in wechat.api.to(OPENID)[before:])
    assert "资格审核安排见附件" in shown and "微信公众号无法发送文件" in shown
