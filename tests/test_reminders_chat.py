"""Subscribing in the chat: the offer, /subscribe, /unsubscribe, settings, the stop button."""

from __future__ import annotations

from bot.clock import parse_moment
from bot.scheduler import tick
from content.reminders import unsubscribe_callback
from handlers.reminders import ReminderCb, offer_if_undecided, reminder_offer
from storage.subscriptions import get_subscription, is_subscribed
from tests.delivery_helpers import add_registration
from tests.harness import USER, Harness

XG = "xiaogan-2023"


async def subscribed(harness: Harness, slug: str = XG) -> bool:
    async with harness.services.sessionmaker() as session:
        return await is_subscribed(session, user_id=USER, slug=slug)


async def test_offer_is_one_tap(harness: Harness) -> None:
    calls = await harness.send(f"/start {XG}")  # the start handler shows the offer
    text, markup = reminder_offer(harness.services.texts, harness.services.catalogue.get(XG),
                                  harness.clock.now())
    assert text in calls.texts
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == [
        "rm:on:xiaogan-2023", "rm:later:xiaogan-2023"]
    calls = await harness.press("🔔 开启报名提醒")
    assert calls.methods() == ["answerCallbackQuery", "editMessageText"]
    assert "已开启" in calls.text and "孝感" in calls.text
    assert await subscribed(harness)


async def test_offer_only_while_undecided(harness: Harness) -> None:
    campaign = harness.services.catalogue.get(XG)
    await harness.send(f"/start {XG}")
    async with harness.services.sessionmaker() as session:
        assert await offer_if_undecided(session, user_id=USER, campaign=campaign,
                                        texts=harness.services.texts) is not None
    await harness.send("/unsubscribe")
    await harness.send("/subscribe")
    await harness.send("/unsubscribe")
    async with harness.services.sessionmaker() as session:
        assert await offer_if_undecided(session, user_id=USER, campaign=campaign,
                                        texts=harness.services.texts) is None
        row = await get_subscription(session, user_id=USER, slug=XG)
    assert row is not None and row.unsubscribed_at is not None


async def test_subscribe_and_unsubscribe_commands(harness: Harness) -> None:
    calls = await harness.send("/subscribe")
    assert "请先选择招录项目" in calls.text
    await harness.send(f"/start {XG}")
    assert "已开启" in (await harness.send("/subscribe")).text
    assert "您已开启" in (await harness.send("/subscribe")).text
    assert await subscribed(harness)
    assert "已关闭" in (await harness.send("/unsubscribe")).text
    assert "没有开启" in (await harness.send("/unsubscribe")).text
    assert not await subscribed(harness)


async def test_settings_shows_state_and_the_next_reminder_for_me(harness: Harness) -> None:
    await harness.send(f"/start {XG}")
    await harness.send("/subscribe")
    calls = await harness.press_data(ReminderCb(action="settings").pack())
    assert "已开启" in calls.text and "2023年6月27日 9:00" in calls.text
    calls = await harness.press("🔕 关闭报名提醒")
    assert "未开启" in calls.text and not await subscribed(harness)
    calls = await harness.press("🔔 开启报名提醒")
    assert "已开启" in calls.text and await subscribed(harness)
    assert "« 返回菜单" in calls.labels


async def test_settings_after_registration_names_my_reminder(harness: Harness) -> None:
    await harness.send("/start fujian-2023")
    await harness.send("/subscribe")
    await add_registration(harness.services.sessionmaker, USER, "fujian-2023", "admitted")
    harness.clock.set(parse_moment("2023-08-01T10:00"))
    calls = await harness.press_data(ReminderCb(action="settings").pack())
    assert "2023年8月24日 9:00" in calls.text and "到培训基地报到" in calls.text


async def test_stop_button_under_a_reminder(harness: Harness) -> None:
    assert ReminderCb(action="stop", slug=XG).pack() == unsubscribe_callback(XG)
    await harness.send(f"/start {XG}")
    await harness.send("/subscribe")
    now = parse_moment("2023-06-27T09:00")
    harness.clock.set(now)
    await tick(harness.services, harness.bot, now)
    assert "还剩约3天" in harness.session.calls[-1].text
    calls = await harness.press("🔕 不再提醒此项目")
    assert calls.methods() == ["answerCallbackQuery", "editMessageReplyMarkup"]
    assert calls.labels == ["🔔 开启报名提醒"]
    assert not await subscribed(harness)
    harness.clock.set(parse_moment("2023-06-29T09:00"))
    summary = await tick(harness.services, harness.bot, harness.clock.now())
    assert summary.report.sent == 0


async def test_later_asks_nothing_more_now(harness: Harness) -> None:
    await harness.send(f"/start {XG}")
    calls = await harness.press("暂不需要")
    assert "/subscribe" in calls.text and not await subscribed(harness)


async def test_stale_button(harness: Harness) -> None:
    calls = await harness.press_data(ReminderCb(action="on", slug="gone-2020").pack())
    assert calls.methods() == ["answerCallbackQuery"]
    assert "失效" in calls.last.params["text"]


async def test_commands_are_listed(harness: Harness) -> None:
    from handlers import bot_commands

    names = [c.command for c in bot_commands(harness.services.texts)]
    assert "subscribe" in names and "unsubscribe" in names
