"""The WeChat Official Account's subscription template (订阅通知) of a campaign, optional:

    wechat_subscription:
      template_id: 9Ht2Vf4m-Aw2xQqRrtkuTGpY1JfLNq8oPo0yXWbFS7I
      fields:
        thing1: summary      # the message's first line (at most 20 characters)
        thing2: campaign     # the campaign's name
        time3: date          # the day it is sent (2023年06月27日)

A reminder or announcement that finds a WeChat user's reply window closed goes as this template
when the user accepted it (bot/wechat/subscriptions.py), else waits for the user's next message.
The keywords (thing1, time3 …) are the template's own, as the account's admin lists them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from content.schema_base import Strict

Source = Literal["summary", "campaign", "date"]


class WeChatSubscription(Strict):
    template_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$",
                             description="The template's id in the account (订阅通知 → 我的模板).")
    fields: dict[str, Source] = Field(
        min_length=1,
        description="Template keyword (thing1, time2 …) → what fills it: summary (the message's "
                    "first line, at most 20 characters), campaign (its name), date (the day).")
