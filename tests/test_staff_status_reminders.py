"""Statuses set by staff drive the reminders: 已录取 → the report-in reminders reach the person,
已报到 → no more of them; 资格审核通过 still hears the results, 不通过 / 放弃 hear nothing further.
Fujian's notice dates 查看录取结果 (2023-07-15) and 报到 (by 2023-08-31, reminders 7, 3 and 1 days
before at 09:00, to the admitted)."""

from __future__ import annotations

from bot.clock import parse_moment
from storage.subscriptions import audience_user_ids, subscribe
from tests.harness import Harness
from tests.staff_helpers import ADMIN, FJ, press_with, tick
from tests.test_staff_records import add_people, record
from tests.test_staff_status import to

# Fujian lists no bases. 41 and 42 admitted by staff (41 then reports); 43 passes review;
# 44 fails it; 45 gives up.
FUJIAN = tuple((uid, name, f"35010219990101{uid}1", "13812345678", None)
               for uid, name in ((41, "陈一"), (42, "陈二"), (43, "陈三"), (44, "陈四"),
                                 (45, "陈五")))


async def set_status(h: Harness, receipt: str, button: str, reason: str | None = None) -> None:
    await h.send("/staff", ADMIN)
    await h.press("📋 报名名单", ADMIN)
    await press_with(h, "福建", ADMIN)
    await h.send(receipt[-4:], ADMIN)
    await press_with(h, receipt, ADMIN)
    await h.press(button, ADMIN)
    if reason is not None:
        await press_with(h, reason, ADMIN)
    await h.press("✅ 确认", ADMIN)


async def at(h: Harness, moment: str) -> dict[int, list[str]]:
    h.clock.set(parse_moment(moment))
    sent = await tick(h)
    return {uid: to(sent, uid) for uid in range(41, 46)}


async def test_admitted_gets_report_in_reminders_until_reported(staffed: Harness) -> None:
    h = staffed
    h.clock.set(parse_moment("2023-07-12T10:00:00+08:00"))
    people = await add_people(h, FUJIAN, slug=FJ, prefix="FJ2023")
    async with h.services.sessionmaker() as session, session.begin():
        for uid in range(41, 46):
            await subscribe(session, user_id=uid, slug=FJ, now=h.clock.now())
    await set_status(h, "FJ2023-0003", "✅ 资格审核通过")
    await set_status(h, "FJ2023-0004", "❌ 资格审核不通过", "报名材料不全或不清晰")
    await set_status(h, "FJ2023-0005", "🚫 放弃", "本人申请放弃")
    # Registration closes today: the reminder goes to 41 and 42 (not marked 已官网报名); 43–45
    # hear only of their new status.
    told = await at(h, "2023-07-12T10:05:00+08:00")
    assert [len(told[uid]) for uid in range(41, 46)] == [1, 1, 1, 1, 1]
    assert all("截止" in told[uid][0] for uid in (41, 42))
    assert "已通过资格审核" in told[43][0]
    assert "录取结果预计 2023年7月15日 起可以查看" in told[43][0]
    assert "未通过资格审核" in told[44][0] and "0591-83574579" in told[44][0]
    assert "记为“放弃”" in told[45][0]
    # 查看录取结果 (07-15 09:00, to the pre-registered): not to 不通过 / 放弃.
    told = await at(h, "2023-07-15T09:00:00+08:00")
    assert [bool(told[uid]) for uid in range(41, 46)] == [True, True, True, False, False]
    await set_status(h, "FJ2023-0001", "🎉 已录取")
    await set_status(h, "FJ2023-0002", "🎉 已录取")
    told = await at(h, "2023-07-15T10:00:00+08:00")
    assert len(told[41]) == 1 and "已被录取" in told[41][0]
    assert "请于 <b>2023年8月31日</b> 前到培训基地报到" in told[41][0]
    # 7 days before: both admitted are reminded, once.
    told = await at(h, "2023-08-24T09:00:00+08:00")
    assert [len(told[uid]) for uid in range(41, 46)] == [1, 1, 0, 0, 0]
    assert "报到" in told[41][0]
    assert (await at(h, "2023-08-24T09:05:00+08:00"))[41] == []
    h.clock.set(parse_moment("2023-08-25T10:00:00+08:00"))
    await set_status(h, "FJ2023-0001", "🏥 已报到")
    told = await at(h, "2023-08-25T10:01:00+08:00")
    assert len(told[41]) == 1 and "已确认您报到" in told[41][0]
    # 3 days before: only the one still admitted.
    told = await at(h, "2023-08-28T09:00:00+08:00")
    assert [len(told[uid]) for uid in range(41, 46)] == [0, 1, 0, 0, 0]
    assert (await record(h, people["陈一"].id)).status == "reported"


async def test_closed_statuses_are_in_no_status_audience(staffed: Harness) -> None:
    h = staffed
    await add_people(h, FUJIAN, slug=FJ, prefix="FJ2023")
    async with h.services.sessionmaker() as session, session.begin():
        for uid in range(41, 46):
            await subscribe(session, user_id=uid, slug=FJ, now=h.clock.now())
    await set_status(h, "FJ2023-0003", "✅ 资格审核通过")
    await set_status(h, "FJ2023-0004", "❌ 资格审核不通过", "报名材料不全或不清晰")
    await set_status(h, "FJ2023-0005", "🚫 放弃", "本人申请放弃")
    async with h.services.sessionmaker() as session:
        async def who(audience: str) -> list[int]:
            return await audience_user_ids(session, slug=FJ, audiences=[audience])

        assert await who("preregistered") == [41, 42, 43]
        assert await who("officially_registered") == [43]
        # 不通过 / 放弃 are not nagged to pre-register (22 only follows Fujian).
        assert await who("subscribers_not_preregistered") == [22]
        assert await who("all_subscribers") == [22, 41, 42, 43, 44, 45]


async def test_a_reminder_is_promised_only_to_those_who_get_them(staffed: Harness) -> None:
    """资格审核通过: "届时我们会提醒您" only to a subscriber (issue 12 §2); 42 never subscribed."""
    h = staffed
    h.clock.set(parse_moment("2023-07-12T10:00:00+08:00"))
    await add_people(h, FUJIAN[:2], slug=FJ, prefix="FJ2023")
    async with h.services.sessionmaker() as session, session.begin():
        await subscribe(session, user_id=41, slug=FJ, now=h.clock.now())
    await set_status(h, "FJ2023-0001", "✅ 资格审核通过")
    await set_status(h, "FJ2023-0002", "✅ 资格审核通过")
    told = await at(h, "2023-07-12T10:05:00+08:00")
    [passed_41] = [t for t in told[41] if "资格审核" in t]
    [passed_42] = [t for t in told[42] if "资格审核" in t]
    assert "届时我们会提醒您" in passed_41
    assert "录取结果预计 2023年7月15日 起可以查看" in passed_42
    assert "提醒" not in passed_42
