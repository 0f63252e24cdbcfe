"""Files to WeChat users: a photo is uploaded as a temporary image and sent as an image message
(its caption after it); a document cannot be sent (WeChat's customer-service messages carry
none): its caption and a line saying so."""

from __future__ import annotations

from storage.staff import COORDINATOR
from tests.loopback_wechat import PNG, callback_xml
from tests.staff_helpers import COORD, XG, give_role, press_with
from tests.wechat_chat import OPENID, WeChat, preregister, telegram_side, text_of


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
