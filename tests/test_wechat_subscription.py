"""Subscription messages (订阅通知): a campaign with a template; a reminder outside the reply
window goes as that template to a user who accepted it (once: the acceptance is used up, as
WeChat's one-time subscriptions), and waits for the user's next message otherwise."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.settings import BUNDLED_CONTENT
from storage.delivery import Delivery
from storage.wechat import WECHAT_BASE, has_template_grant
from tests.loopback_wechat import subscription_xml
from tests.test_wechat_ledger import REMINDER, run_tick, subscribed_and_away
from tests.wechat_chat import OPENID, WeChat, open_wechat, text_of

TEMPLATE = "tmplXG2023reminder"


@pytest.fixture
async def templated(db_url: str, tmp_path: Path) -> AsyncIterator[WeChat]:
    """The bundled campaigns, xiaogan-2023 with a subscription template."""
    content = tmp_path / "content"
    shutil.copytree(BUNDLED_CONTENT, content)
    with (content / "xiaogan-2023.yaml").open("a", encoding="utf-8") as file:
        file.write(f"\nwechat_subscription:\n  template_id: {TEMPLATE}\n  fields:\n"
                   "    thing1: summary\n    thing2: campaign\n    time3: date\n")
    async with open_wechat(db_url, tmp_path, content_dir=content) as opened:
        yield opened


async def outcomes(wechat: WeChat) -> list[tuple[str, str | None]]:
    async with wechat.services.sessionmaker() as session:
        found = (await session.exec(select(Delivery).order_by(Delivery.id))).all()
    return [(r.status, r.outcome) for r in found]


async def accept(wechat: WeChat) -> None:
    """The user accepts the template in WeChat's popup: WeChat records it and tells us."""
    wechat.api.accepted.add((OPENID, TEMPLATE))
    assert await wechat.event_xml(subscription_xml(OPENID, TEMPLATE)) == []


async def test_outside_the_window_a_subscriber_gets_the_template(templated: WeChat) -> None:
    await subscribed_and_away(templated, last_message="2023-06-20T09:00")
    await accept(templated)
    assert await run_tick(templated, "2023-06-27T09:00") == 0  # no customer-service message
    [sent] = templated.api.subscribed_sent
    assert sent["touser"] == OPENID and sent["template_id"] == TEMPLATE
    values = {key: field["value"] for key, field in sent["data"].items()}
    assert values["time3"] == "2023年06月27日" and "孝感" in values["thing2"]
    assert all(0 < len(value) <= 20 for value in values.values())
    assert await outcomes(templated) == [("sent", "subscribe_message")]
    seen = text_of(await templated.say("你好"))  # nothing is shown again
    assert "未读消息" not in seen


async def test_without_acceptance_it_waits(templated: WeChat) -> None:
    await subscribed_and_away(templated, last_message="2023-06-20T09:00")
    assert await run_tick(templated, "2023-06-27T09:00") == 0
    assert templated.api.subscribed_sent == []
    assert await outcomes(templated) == [("waiting", "window_closed")]
    assert REMINDER in text_of(await templated.say("你好"))


async def test_a_used_acceptance_is_forgotten_and_the_next_one_waits(templated: WeChat) -> None:
    await subscribed_and_away(templated, last_message="2023-06-20T09:00")
    await accept(templated)
    templated.api.accepted.clear()  # WeChat no longer has it (used, or withdrawn in settings)
    await run_tick(templated, "2023-06-27T09:00")
    assert await outcomes(templated) == [("waiting", "window_closed")]
    async with templated.services.sessionmaker() as session:
        assert not await has_template_grant(session, user_id=WECHAT_BASE + 1, template_id=TEMPLATE)


async def test_a_rejection_in_the_popup_is_not_a_grant(templated: WeChat) -> None:
    await subscribed_and_away(templated, last_message="2023-06-20T09:00")
    templated.api.accepted.add((OPENID, TEMPLATE))  # a stale acceptance WeChat would honour
    await templated.event_xml(subscription_xml(OPENID, TEMPLATE, status="reject"))
    await run_tick(templated, "2023-06-27T09:00")
    assert templated.api.subscribed_sent == []
