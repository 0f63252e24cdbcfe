"""Subscription messages (订阅通知): what a closed reply window still lets the account send.

A campaign may name a template of the account (content.schema_wechat); a user accepts it in
WeChat's subscription popup (shown by a page of the account with wx-open-subscribe, not by
zhaolu), and WeChat tells us with a subscribe_msg_popup_event (a later change in the user's
settings: subscribe_msg_change_event). A reminder or announcement that finds the window closed
then goes as that template (`/cgi-bin/message/subscribe/bizsend`), its fields filled from the
message; a refusal (43101: the acceptance was for one message and is used up, or withdrawn)
forgets the acceptance, and the message waits for the user's next one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, to_shanghai
from bot.wechat.api import ApiError, WeChatApi
from bot.wechat.render import TAG, Out
from content.catalogue import Catalogue
from content.schema import Campaign
from storage.wechat import has_template_grant, set_template_grant

log = logging.getLogger(__name__)
EVENTS = {"subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
          "subscribe_msg_change_event": "SubscribeMsgChangeEvent"}
REFUSED = {43101}  # the user has not (or no longer) accepted the template
THING = 20  # characters: WeChat's limit on a `thing` field


def template_choices(data: dict[str, Any]) -> list[tuple[str, bool]]:
    """(template id, accepted) for each template a subscription event names."""
    outer = data.get(EVENTS.get(str(data.get("Event", "")).lower(), ""))
    items = (outer or {}).get("List") if isinstance(outer, dict) else None
    items = [items] if isinstance(items, dict) else items or []
    return [(str(item["TemplateId"]),
             str(item.get("SubscribeStatusString", "")).lower() == "accept")
            for item in items if isinstance(item, dict) and item.get("TemplateId")]


def template_data(campaign: Campaign, messages: list[Out], now: datetime) -> dict[str, Any]:
    """The template's fields, filled as the campaign file says."""
    assert campaign.wechat_subscription is not None
    lines = [line for m in messages for line in TAG.sub("", m.text).splitlines() if line.strip()]
    values = {"summary": (lines[0].strip() if lines else campaign.name)[:THING],
              "campaign": campaign.name[:THING],
              "date": to_shanghai(now).strftime("%Y年%m月%d日")}
    return {key: {"value": values[source]}
            for key, source in campaign.wechat_subscription.fields.items()}


class SubscriptionSender:
    def __init__(self, api: WeChatApi, sessionmaker: async_sessionmaker[AsyncSession],
                 catalogue: Catalogue, clock: Clock) -> None:
        self.api = api
        self.sessionmaker = sessionmaker
        self.catalogue = catalogue
        self.clock = clock

    async def __call__(self, user_id: int, openid: str, slug: str | None,
                       messages: list[Out]) -> bool:
        """Whether the messages went as the campaign's template."""
        campaign = self.catalogue.get(slug) if slug else None
        spec = campaign.wechat_subscription if campaign is not None else None
        if campaign is None or spec is None:
            return False
        async with self.sessionmaker() as session:
            if not await has_template_grant(session, user_id=user_id,
                                            template_id=spec.template_id):
                return False
        try:
            await self.api.call("post", "message/subscribe/bizsend", data={
                "touser": openid, "template_id": spec.template_id,
                "data": template_data(campaign, messages, self.clock.now())})
        except ApiError as error:
            if error.code in REFUSED:
                async with self.sessionmaker() as session, session.begin():
                    await set_template_grant(session, user_id=user_id,
                                             template_id=spec.template_id, accepted=False,
                                             now=self.clock.now())
            else:
                log.warning("WeChat subscription message to user %s refused: %s", user_id,
                            error)
            return False
        return True
