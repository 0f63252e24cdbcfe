"""Shared by the staff tests: a campaign's population, roles, and the announcement flow in chat.

The population of Xiaogan (ids 11–21) covers every audience, base and exclusion:

    11 chose the campaign only          17 reported, 汉川
    12 subscribed to reminders only     18 admitted, 安陆普爱
    13 pre-registered, 汉川, subscribed  19 pre-registered, 汉川, blocked the bot
    14 已官网报名, 汉川                  20 withdrew (汉川): chose the campaign, nothing active
    15 pre-registered, 孝感一医          21 pre-registered, 汉川, opted out of announcements
    16 admitted, 汉川                   22 follows Fujian only
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.clock import parse_moment
from storage.announcements import set_opt_out
from storage.staff import BASE_STAFF, COORDINATOR, grant
from storage.subscriptions import subscribe
from storage.users import mark_blocked, set_campaign, touch_user
from tests.delivery_helpers import add_registration
from tests.harness import Calls, Harness

XG, FJ = "xiaogan-2023", "fujian-2023"
ADMIN, COORD, HANCHUAN_STAFF, ANLU_STAFF, OUTSIDER = 1001, 2001, 3001, 3002, 4001
T0 = parse_moment("2023-05-10T10:00:00+08:00")

EXPECTED = {  # (audience, base) -> recipients
    ("everyone", None): [11, 12, 13, 14, 15, 16, 17, 18, 20],
    ("subscribers", None): [12, 13],
    ("preregistered", None): [13, 14, 15, 16, 17, 18],
    ("not_official", None): [13, 15],
    ("admitted", None): [16, 17, 18],
    ("admitted_not_reported", None): [16, 18],
    ("everyone", "hanchuan"): [13, 14, 16, 17],
    ("subscribers", "hanchuan"): [13],
    ("preregistered", "hanchuan"): [13, 14, 16, 17],
    ("not_official", "hanchuan"): [13],
    ("admitted", "hanchuan"): [16, 17],
    ("admitted_not_reported", "hanchuan"): [16],
}
AUDIENCE_LABELS = {"everyone": "关注本项目的所有人", "subscribers": "提醒订阅者",
                   "preregistered": "已预登记", "not_official": "已预登记、未标记官网报名",
                   "admitted": "已录取", "admitted_not_reported": "已录取、未报到"}
BASE_LABELS = {None: "全部基地", "hanchuan": "汉川市人民医院",
               "xiaogan_first": "孝感市第一人民医院"}


async def population(h: Harness, now: datetime = T0) -> None:
    sm = h.services.sessionmaker
    async with sm() as session, session.begin():
        for uid in range(11, 23):
            await touch_user(session, user_id=uid, first_name=f"申请人{uid}", last_name=None,
                             username=None, now=now)
            await set_campaign(session, user_id=uid, slug=FJ if uid == 22 else XG)
        for uid in (12, 13):
            await subscribe(session, user_id=uid, slug=XG, now=now)
        await subscribe(session, user_id=22, slug=FJ, now=now)
    for uid, status, bases in ((13, "pre_registered", ["hanchuan"]),
                               (14, "officially_registered", ["hanchuan"]),
                               (15, "pre_registered", ["xiaogan_first"]),
                               (16, "admitted", ["hanchuan"]), (17, "reported", ["hanchuan"]),
                               (18, "admitted", ["anlu_puai"]),
                               (19, "pre_registered", ["hanchuan"]),
                               (20, "withdrawn", ["hanchuan"]),
                               (21, "pre_registered", ["hanchuan"])):
        await add_registration(sm, uid, XG, status, bases)
    async with sm() as session, session.begin():
        await mark_blocked(session, user_id=19, now=now)
        await set_opt_out(session, user_id=21, slug=XG, out=True, now=now)


async def give_role(h: Harness, uid: int, role: str, slug: str | None = None,
                    base: str | None = None) -> None:
    async with h.services.sessionmaker() as session, session.begin():
        await touch_user(session, user_id=uid, first_name=f"工作人员{uid}", last_name=None,
                         username=f"staff{uid}", now=h.clock.now())
        await grant(session, telegram_id=uid, role=role, campaign_slug=slug, base_id=base,
                    source="cli", granted_by=None, now=h.clock.now())


def button_with(h: Harness, fragment: str, user: int) -> tuple[object, str]:
    """The newest message's button whose label contains `fragment`: (message, data)."""
    chat = sorted((m for (cid, _), m in h.session.messages.items()
                   if cid == user and m.reply_markup is not None),
                  key=lambda m: m.message_id, reverse=True)
    for message in chat:
        for row in message.reply_markup.inline_keyboard:
            for b in row:
                if fragment in b.text and b.callback_data:
                    return message, b.callback_data
    raise AssertionError(f"no button with {fragment!r} for {user}")


async def press_with(h: Harness, fragment: str, user: int) -> Calls:
    message, data = button_with(h, fragment, user)
    return h._checked(await h.driver.press_data(user, data, message))  # noqa: SLF001


async def compose(h: Harness, user: int, text: str = "明天上午9点资格审核，请带原件。",
                  campaign_label: str | None = "孝感市 2023") -> Calls:
    """/staff → 发通知 (→ campaign) → the message: the calls of the last step."""
    await h.send("/staff", user)
    calls = await h.press("📢 发通知", user)
    if campaign_label and any(campaign_label in label for label in calls.labels):
        await press_with(h, campaign_label, user)
    return await h.send(text, user)


async def choose(h: Harness, user: int, audience: str, base: str | None = None) -> Calls:
    calls = Calls()
    if base is not None or any("全部基地" in label for label in h.labels(user)):
        calls = await press_with(h, BASE_LABELS.get(base, base or ""), user)
    calls += await press_with(h, AUDIENCE_LABELS[audience] + "（", user)
    return calls


async def send_now(h: Harness, user: int) -> Calls:
    calls = await h.press("👁 预览", user)
    calls += await h.press("🚀 立即发送", user)
    calls += await h.press("✅ 确认发送", user)
    return calls


async def tick(h: Harness) -> Calls:
    from bot.scheduler import tick as run_tick

    start = len(h.session.calls)
    await run_tick(h.services, h.bot, h.clock.now())
    return h._checked(h.session.calls[start:])  # noqa: SLF001


def copies(calls: Calls) -> list[int]:
    """Recipients of announcement copies (not the sender's own previews)."""
    return sorted(int(c.chat_id) for c in calls
                  if c.method == "copyMessage" and c.buttons
                  and c.buttons[0][1].startswith("an:off"))


@pytest.fixture
async def staffed(db_url: str, tmp_path) -> AsyncIterator[Harness]:
    """The population, an admin (ZHAOLU_ADMINS), Xiaogan's coordinator and staff of two bases."""
    h = await Harness.create(db_url, var_dir=tmp_path / "var", admins=[ADMIN])
    await population(h)
    await give_role(h, COORD, COORDINATOR, XG)
    await give_role(h, HANCHUAN_STAFF, BASE_STAFF, XG, "hanchuan")
    await give_role(h, ANLU_STAFF, BASE_STAFF, XG, "anlu_puai")
    yield h
    await h.close()
