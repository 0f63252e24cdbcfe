"""Ticks at chosen clock times: each reminder once, to exactly its audience, never at night."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from aiogram.methods import SendMessage

from bot.clock import parse_moment
from bot.scheduler import tick
from storage import delivery as ledger
from storage.subscriptions import audience_user_ids, ensure_subscribed, unsubscribe
from storage.users import mark_blocked
from tests.bot_api import problems
from tests.delivery_helpers import add_registration, add_users
from tests.harness import Harness

XG, FJ = "xiaogan-2023", "fujian-2023"


async def run_tick(harness: Harness, moment: str) -> list[tuple[int, str]]:
    """Tick at `moment`; the messages sent, as (chat, text)."""
    now = parse_moment(moment)
    harness.clock.set(now)
    start = len(harness.session.calls)
    await tick(harness.services, harness.bot, now)
    calls = harness.session.calls[start:]
    for call in calls:
        assert not problems(call.method, call.params), problems(call.method, call.params)
    return [(int(c.chat_id), c.text) for c in calls if c.method == "sendMessage"]


async def people(harness: Harness) -> None:
    """1 subscribed; 2 pre-registered; 3 registered on the site; 4 admitted; 5 unsubscribed;
    6 blocked; 7 never subscribed; 8 withdrew (counts as not pre-registered)."""
    sm = harness.services.sessionmaker
    for slug in (XG, FJ):
        await add_users(sm, [1, 2, 3, 4, 5, 6, 8], slug=slug)
    await add_users(sm, [7])
    for slug in (XG, FJ):
        await add_registration(sm, 2, slug, "pre_registered")
        await add_registration(sm, 3, slug, "officially_registered")
        await add_registration(sm, 4, slug, "admitted")
        await add_registration(sm, 8, slug, "withdrawn")
    async with sm() as session, session.begin():
        now = parse_moment("2023-05-05T10:00")
        for slug in (XG, FJ):
            await unsubscribe(session, user_id=5, slug=slug, now=now)
            await ensure_subscribed(session, user_id=5, slug=slug, now=now)  # "no" is kept
        await mark_blocked(session, user_id=6, now=now)


async def test_audiences_by_status(harness: Harness) -> None:
    await people(harness)
    async with harness.services.sessionmaker() as session:
        async def who(*audiences: str) -> list[int]:
            return await audience_user_ids(session, slug=XG, audiences=audiences)

        assert await who("all_subscribers") == [1, 2, 3, 4, 8]
        assert await who("subscribers_not_preregistered") == [1, 8]
        assert await who("preregistered") == [2, 3, 4]
        assert await who("not_officially_registered") == [2]
        assert await who("officially_registered") == [3]
        assert await who("admitted") == [4]
        assert await who("subscribers_not_preregistered", "not_officially_registered") == [1, 2, 8]


async def test_xiaogan_three_days_before_close(harness: Harness) -> None:
    await people(harness)
    sent = await run_tick(harness, "2023-06-27T09:00:00+08:00")
    assert sorted(chat for chat, _ in sent) == [1, 2, 8]
    texts = dict(sent)
    assert "还剩约3天" in texts[1] and "2023年6月30日" in texts[1]
    assert "已在招录助手预登记" in texts[2]
    assert await run_tick(harness, "2023-06-27T09:00:30+08:00") == []
    harness = await harness.restart()  # a new process on the same database
    assert await run_tick(harness, "2023-06-27T10:00:00+08:00") == []


async def test_xiaogan_season_replay(harness: Harness) -> None:
    await people(harness)
    got: dict[int, list[str]] = defaultdict(list)
    moments = ["2023-05-04T07:59", "2023-05-05T10:00", "2023-05-20T12:00", "2023-06-27T08:59",
               "2023-06-27T09:00", "2023-06-27T23:00", "2023-06-28T09:00", "2023-06-29T09:00",
               "2023-06-30T21:59:59", "2023-06-30T22:30", "2023-07-01T09:00"]
    for moment in moments:
        for chat, text in await run_tick(harness, moment):
            got[chat].append(f"{moment} {text.splitlines()[1][:12]}")
    assert set(got) == {1, 2, 8}
    # The notice gives 6月30日 but no hour: no "2 hours left" on the evening (issue 12 §2).
    assert [line[:16] for line in got[1]] == [
        "2023-05-05T10:00", "2023-06-27T09:00", "2023-06-29T09:00"]
    assert [line[:16] for line in got[2]] == [
        "2023-06-27T09:00", "2023-06-29T09:00"]
    async with harness.services.sessionmaker() as session:
        counts = await ledger.status_counts(session, key_prefix=f"rm:{XG}:")
    assert counts == {ledger.SENT: 3 + 3 + 2}


async def test_after_downtime_only_the_latest_goes(harness: Harness) -> None:
    await people(harness)
    # Down until 7月9日 9:00: "opens tomorrow" (7月8日) is stale, "open now" goes.
    sent = await run_tick(harness, "2023-07-09T09:00")
    assert sorted(chat for chat, _ in sent) == [1, 2, 8]
    assert all("网上报名已开始" in text for _, text in sent)
    # Down again until 7月12日 16:00: the day-before-close is superseded by "2 hours left".
    sent = await run_tick(harness, "2023-07-12T16:00")
    assert all("还剩约1小时" in text for _, text in sent) and len(sent) == 3
    assert await run_tick(harness, "2023-07-12T17:30") == []


async def test_fujian_results_and_report_in(harness: Harness) -> None:
    await people(harness)
    results = await run_tick(harness, "2023-07-15T09:00")
    assert sorted(chat for chat, _ in results) == [2, 3, 4]
    report_in = []
    for moment in ("2023-08-24T09:00", "2023-08-28T09:00", "2023-08-30T09:00",
                   "2023-08-31T09:00", "2023-09-01T09:00"):
        report_in += await run_tick(harness, moment)
    assert [chat for chat, _ in report_in] == [4, 4, 4]
    assert ["还剩约7天" in report_in[0][1], "还剩约3天" in report_in[1][1]] == [True, True]


async def test_quiet_hours_send_nothing(harness: Harness) -> None:
    await people(harness)
    # Xiaogan opens 5月4日 0:00: the "registration is open" notice waits for 8:00.
    for moment in ("2023-05-04T00:00", "2023-05-04T03:00", "2023-05-04T07:59:59"):
        assert await run_tick(harness, moment) == []
    sent = await run_tick(harness, "2023-05-04T08:00")
    assert sorted(chat for chat, _ in sent) == [1, 8]


async def test_reminder_carries_an_unsubscribe_button(harness: Harness) -> None:
    await people(harness)
    await run_tick(harness, "2023-06-27T09:00")
    call = harness.session.calls[-1]
    assert call.buttons == [("🔕 不再提醒此项目", f"rm:stop:{XG}")]


async def test_a_tick_at_night_sends_nothing_even_what_came_due_before(harness: Harness) -> None:
    await people(harness)
    # "2 hours before the close" is due at 21:59:59; a tick at 23:00 (downtime until then) is in
    # quiet hours, and by 08:00 the window is closed: it never goes out.
    assert await run_tick(harness, "2023-06-30T23:00:00+08:00") == []
    assert await run_tick(harness, "2023-07-01T08:00:00+08:00") == []


async def test_pending_rows_whose_event_is_over_expire_unsent(harness: Harness) -> None:
    await people(harness)
    sm = harness.services.sessionmaker
    async with sm() as session, session.begin():
        await ledger.enqueue(session, key="late", kind="reminder", text="还剩约2小时",
                             recipients=[1], now=parse_moment("2023-06-30T21:59:59"),
                             not_after=parse_moment("2023-06-30T23:59:59"))
    sent = await run_tick(harness, "2023-07-01T09:00:00+08:00")
    assert all(text != "还剩约2小时" for _, text in sent)
    async with sm() as session:
        assert await ledger.expire_stale(session, now=parse_moment("2023-07-02T09:00")) == 0


async def test_a_drain_that_runs_into_the_night_stops_at_22_and_resumes_at_8(
        harness: Harness) -> None:
    await people(harness)
    session = harness.session
    default = session._default_result

    def slow(call):  # each message takes the clock a second further
        harness.clock.advance(timedelta(seconds=1))
        return default(SendMessage(**call.params), call)

    session.responders["sendMessage"] = slow
    evening = await run_tick(harness, "2023-06-27T21:59:58+08:00")
    assert len(evening) == 2  # at 21:59:58 and 21:59:59; the third would go at 22:00
    assert harness.clock.now() == parse_moment("2023-06-27T22:00:00")
    async with harness.services.sessionmaker() as s:
        assert (await ledger.status_counts(s)).get(ledger.PENDING) == 1  # none left claimed
    assert await run_tick(harness, "2023-06-27T23:30") == []
    morning = await run_tick(harness, "2023-06-28T08:00")
    assert sorted(chat for chat, _ in evening + morning) == [1, 2, 8]


async def test_report_in_reminders_follow_the_applicants_own_marks(harness: Harness) -> None:
    await people(harness)  # 2: pre-registered, 4: admitted
    await run_tick(harness, "2023-07-15T09:00")  # the results reminder
    harness.clock.set(parse_moment("2023-07-16T10:00"))
    await harness.send("/my", user=2)
    await harness.press("🎉 我已被录取 FU-2", user=2)
    week = await run_tick(harness, "2023-08-24T09:00")
    assert sorted(chat for chat, _ in week) == [2, 4]
    harness.clock.set(parse_moment("2023-08-25T10:00"))
    await harness.send("/my", user=2)
    await harness.press("✅ 我已到基地报到 FU-2", user=2)
    assert [chat for chat, _ in await run_tick(harness, "2023-08-28T09:00")] == [4]
