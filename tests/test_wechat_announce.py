"""An announcement a coordinator composes on Telegram reaches a pre-registered applicant on
WeChat: Telegram recipients get the copy, WeChat ones the text kept as HTML, rendered for WeChat
(inside the reply window through the API; outside it waiting, shown at the next message)."""

from __future__ import annotations

from datetime import timedelta

from aiogram.types import MessageEntity
from sqlmodel import select

from storage.delivery import Delivery
from storage.staff import COORDINATOR
from storage.wechat import WECHAT_BASE
from tests.staff_helpers import COORD, XG, choose, give_role, send_now, tick
from tests.wechat_chat import OPENID, WeChat, preregister, telegram_side, text_of

HEAD = "【孝感市 2023 · 孝感市卫生健康委员会】"
TEXT = "明天上午资格审核，请带原件 <注意> https://www.hbwsrc.cn"


async def announce(wechat: WeChat) -> str:
    """The coordinator (on Telegram) sends TEXT, with a bold word, to the pre-registered, and
    the tick sends it: the card's last text."""
    staff = telegram_side(wechat)
    await give_role(staff, COORD, COORDINATOR, XG)
    await staff.send("/staff", COORD)
    await staff.press("📢 发通知", COORD)
    await staff.driver.send_text(COORD, TEXT, [MessageEntity(type="bold", offset=2, length=4)])
    await choose(staff, COORD, "preregistered")
    await send_now(staff, COORD)
    await tick(staff)
    return [c for c in wechat.telegram.calls if c.chat_id == COORD][-1].text


def announced(message: str) -> bool:
    return HEAD in message and "明天【上午资格】审核，请带原件 <注意>" in message \
        and "https://www.hbwsrc.cn" in message and "<b>" not in message \
        and "&lt;" not in message


async def outcome(wechat: WeChat) -> tuple[str, str, str | None]:
    async with wechat.services.sessionmaker() as session:
        row = (await session.exec(select(Delivery).where(
            Delivery.user_id == WECHAT_BASE + 1))).one()
    return row.status, row.channel, row.outcome


async def test_inside_the_window_the_applicant_gets_it_at_once(wechat: WeChat) -> None:
    await preregister(wechat)
    before = len(wechat.api.to(OPENID))
    await announce(wechat)
    sent = [str(m) for m in wechat.api.to(OPENID)[before:]]
    assert sent and announced(sent[0]), sent
    assert "不再接收此项目通知" in "".join(sent)  # the 🔕 button, as a menu item
    assert await outcome(wechat) == ("sent", "wechat", "customer_service")
    assert not any(c.method == "copyMessage" and int(c.chat_id) >= WECHAT_BASE
                   for c in wechat.telegram.calls)


async def test_outside_the_window_it_waits_for_the_next_message(wechat: WeChat) -> None:
    await preregister(wechat)
    wechat.clock.set(wechat.clock.now() + timedelta(days=3))
    before = len(wechat.api.to(OPENID))
    card = await announce(wechat)
    assert wechat.api.to(OPENID)[before:] == []
    assert "另有 1 位微信用户" in card
    assert await outcome(wechat) == ("waiting", "wechat", "window_closed")
    seen = text_of(await wechat.say("你好"))
    assert "您有 1 条未读消息" in seen and announced(seen)
    assert await outcome(wechat) == ("sent", "wechat", "shown_at_next_message")
