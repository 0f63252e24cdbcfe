"""Reminders and announcements to WeChat users through the delivery ledger: inside the reply
window through the customer-service API; outside it (by our count, or WeChat's 45015/45047)
kept `waiting` and shown at the user's next message, once. Each row records channel and
outcome."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.clock import parse_moment
from bot.scheduler import tick
from bot.wechat import server as wechat_server
from storage.delivery import Delivery
from tests.loopback_wechat import callback_xml
from tests.wechat_chat import OPENID, WeChat, text_of

REMINDER = "还剩约3天"


async def rows(wechat: WeChat) -> list[tuple[str, str, str | None]]:
    async with wechat.services.sessionmaker() as session:
        found = (await session.exec(select(Delivery).order_by(Delivery.id))).all()
    return [(r.status, r.channel, r.outcome) for r in found]


async def subscribed_and_away(wechat: WeChat, *, last_message: str) -> None:
    """Subscribed to xiaogan-2023's reminders; last wrote at `last_message`."""
    await wechat.event("subscribe", "qrscene_xiaogan-2023")
    await wechat.say("/subscribe")
    wechat.clock.set(parse_moment(last_message))
    await wechat.say("谢谢")


async def run_tick(wechat: WeChat, at: str) -> int:
    wechat.clock.set(parse_moment(at))
    before = len(wechat.api.to(OPENID))
    await tick(wechat.services, wechat.channel.bot, wechat.clock.now())
    return len(wechat.api.to(OPENID)) - before


async def test_inside_the_window_a_reminder_goes_through_the_api(wechat: WeChat) -> None:
    await subscribed_and_away(wechat, last_message="2023-06-26T09:00")
    assert await run_tick(wechat, "2023-06-27T09:00") == 1
    assert REMINDER in str(wechat.api.to(OPENID)[-1])
    assert await rows(wechat) == [("sent", "wechat", "customer_service")]


async def test_outside_the_window_it_waits_and_is_shown_once(wechat: WeChat) -> None:
    await subscribed_and_away(wechat, last_message="2023-06-20T09:00")
    assert await run_tick(wechat, "2023-06-27T09:00") == 0  # seven days after: window closed
    assert await rows(wechat) == [("waiting", "wechat", "window_closed")]
    seen = text_of(await wechat.say("你好"))
    assert seen.count("您有 1 条未读消息") == 1 and REMINDER in seen
    assert seen.index("您有 1 条未读消息") < seen.index(REMINDER)
    assert await rows(wechat) == [("sent", "wechat", "shown_at_next_message")]
    again = text_of(await wechat.say("你好"))
    assert "未读消息" not in again and REMINDER not in again


async def test_wechat_refusing_the_send_keeps_it_waiting(wechat: WeChat) -> None:
    await subscribed_and_away(wechat, last_message="2023-06-26T09:00")
    wechat.api.fail("send", 45047)  # the window's messages used up, as WeChat counts them
    assert await run_tick(wechat, "2023-06-27T09:00") == 0
    assert await rows(wechat) == [("waiting", "wechat", "window_closed")]
    seen = text_of(await wechat.say("在吗"))
    assert "您有 1 条未读消息" in seen and REMINDER in seen


async def test_a_waiting_reminder_is_not_lost_when_showing_it_fails(
        wechat: WeChat, monkeypatch: pytest.MonkeyPatch) -> None:
    await subscribed_and_away(wechat, last_message="2023-06-20T09:00")
    await run_tick(wechat, "2023-06-27T09:00")
    monkeypatch.setattr(wechat_server, "PASSIVE_BUDGET", 0.0)  # through the API …
    wechat.api.fail("send", -1)  # … and WeChat is busy
    before = len(wechat.api.to(OPENID))
    await wechat.post(callback_xml(OPENID, text="你好"))
    await wechat.channel.endpoint.drain()
    assert not any(REMINDER in str(m) for m in wechat.api.to(OPENID)[before:])
    seen = text_of(await wechat.say("在吗"))
    assert seen.count(REMINDER) == 1 and "未读消息" in seen
    assert REMINDER not in text_of(await wechat.say("在吗"))


async def test_a_waiting_reminder_whose_deadline_passed_is_not_shown(wechat: WeChat) -> None:
    await subscribed_and_away(wechat, last_message="2023-06-20T09:00")
    await run_tick(wechat, "2023-06-27T09:00")
    wechat.clock.set(parse_moment("2023-07-15T09:00"))  # registration closed long ago
    seen = text_of(await wechat.say("你好"))
    assert "未读消息" not in seen and REMINDER not in seen
    assert await rows(wechat) == [("expired", "wechat", "window_closed")]
