"""The planner: quiet hours, never after the event, only the latest of a group, both notices."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from bot.clock import parse_moment
from content.catalogue import load_catalogue
from content.reminders import (
    cn_left,
    due_now,
    out_of_quiet_hours,
    plan,
    quiet_hours_start,
    reminder_problems,
    render,
)
from content.schema import Campaign
from content.schema_reminders import ReminderSpec, parse_offset

CATALOGUE = load_catalogue()
XIAOGAN = CATALOGUE.get("xiaogan-2023")
FUJIAN = CATALOGUE.get("fujian-2023")


def at(text: str) -> datetime:
    return parse_moment(text)


def with_reminders(campaign: Campaign, *specs: dict) -> Campaign:
    data = campaign.model_dump()
    data["reminders"] = list(specs)
    return Campaign.model_validate(data)


def spec(**fields: object) -> dict:
    base = {"id": "r", "event": "registration.closes", "offsets": ["-2h"],
            "audience": "all_subscribers", "text": "还剩{left}"}
    return {**base, **fields}


def schedule(campaign: Campaign) -> list[tuple[str, str, str]]:
    return [(o.due.isoformat(), o.reminder.id, o.offset) for o in plan(campaign)[0]]


def test_quiet_hours_move_to_eight() -> None:
    assert out_of_quiet_hours(at("2023-06-29T22:00")) == at("2023-06-30T08:00")
    assert out_of_quiet_hours(at("2023-06-30T03:10")) == at("2023-06-30T08:00")
    assert out_of_quiet_hours(at("2023-06-30T07:59:59")) == at("2023-06-30T08:00")
    assert out_of_quiet_hours(at("2023-06-30T08:00")) == at("2023-06-30T08:00")
    assert out_of_quiet_hours(at("2023-06-30T21:59:59")) == at("2023-06-30T21:59:59")


def test_quiet_hours_start_is_the_evening_a_moment_belongs_to() -> None:
    assert quiet_hours_start(at("2023-06-30T09:00")) == at("2023-06-30T22:00")
    assert quiet_hours_start(at("2023-06-30T22:00")) == at("2023-06-30T22:00")
    assert quiet_hours_start(at("2023-06-30T23:30")) == at("2023-06-30T22:00")
    assert quiet_hours_start(at("2023-07-01T07:59")) == at("2023-06-30T22:00")
    assert quiet_hours_start(at("2023-07-01T08:00")) == at("2023-07-01T22:00")


def test_offsets_parse_and_refuse() -> None:
    assert parse_offset("-3d@09:00").days == -3
    assert parse_offset("0").delta.total_seconds() == 0
    assert parse_offset("-2h").delta.total_seconds() == -7200
    for bad in ("-2h@09:00", "3 days", "-1d@25:00", ""):
        with pytest.raises(ValueError):
            parse_offset(bad)


def test_templates_are_checked_at_load() -> None:
    with pytest.raises(ValidationError, match="unknown placeholder"):
        ReminderSpec.model_validate(spec(text="截止{deadline}"))
    with pytest.raises(ValidationError, match="not allowed"):
        ReminderSpec.model_validate(spec(text="<div>{closes}</div>"))
    with pytest.raises(ValidationError, match="audience"):
        ReminderSpec.model_validate(spec(audience="everyone"))
    bad_event = with_reminders(FUJIAN, spec(event="interview"))
    assert reminder_problems(bad_event) == [
        "reminders.r：event 'interview' 不是 registration.opens、registration.closes，也不是 "
        "events 里有日期的事件 id：改成其中之一"]


def test_xiaogan_defaults() -> None:
    assert reminder_problems(XIAOGAN) == []
    assert schedule(XIAOGAN) == [
        ("2023-05-04T08:00:00+08:00", "opens", "0"),  # opens at midnight: quiet until 8:00
        ("2023-06-27T09:00:00+08:00", "closes", "-3d@09:00"),
        ("2023-06-27T09:00:00+08:00", "closes_official", "-3d@09:00"),
        ("2023-06-29T09:00:00+08:00", "closes", "-1d@09:00"),
        ("2023-06-29T09:00:00+08:00", "closes_official", "-1d@09:00"),
    ]  # the notice gives 6月30日 but no hour: no "还剩约2小时" (issue 12 §2)


def test_hours_before_a_close_the_notice_gives_no_hour_for_are_refused() -> None:
    campaign = with_reminders(XIAOGAN, spec(offsets=["-1d@09:00", "-2h"]))
    assert reminder_problems(campaign) == [
        "reminders.r：offsets ['-2h'] 按小时提前，但通知没有给出报名的具体时刻"
        "（registration.window.time_stated 为 false）：改用 -1d@09:00 这样按天的提前量"]
    assert reminder_problems(with_reminders(FUJIAN, spec(offsets=["-2h"]))) == []


def test_fujian_defaults() -> None:
    assert reminder_problems(FUJIAN) == []
    assert schedule(FUJIAN) == [
        ("2023-07-08T09:00:00+08:00", "opens_eve", "-1d@09:00"),
        ("2023-07-09T08:00:00+08:00", "opens", "0"),
        ("2023-07-11T09:00:00+08:00", "closes", "-1d@09:00"),
        ("2023-07-11T09:00:00+08:00", "closes_official", "-1d@09:00"),
        ("2023-07-12T15:00:00+08:00", "closes", "-2h"),
        ("2023-07-12T15:00:00+08:00", "closes_official", "-2h"),
        ("2023-07-15T09:00:00+08:00", "results", "0d@09:00"),
        ("2023-08-24T09:00:00+08:00", "report_in", "-7d@09:00"),
        ("2023-08-28T09:00:00+08:00", "report_in", "-3d@09:00"),
        ("2023-08-30T09:00:00+08:00", "report_in", "-1d@09:00"),
    ]
    audiences = {r.id: r.audience for r in FUJIAN.reminders}
    assert audiences["report_in"] == ["admitted"]
    assert "summary" not in {r.event for r in FUJIAN.reminders}  # not for applicants


def test_quiet_hours_past_the_event_drop_the_reminder() -> None:
    # Xiaogan closes 6月30日 23:59:59: "1 hour before" is 22:59:59, quiet until after the close.
    campaign = with_reminders(XIAOGAN, spec(offsets=["-1h", "-30m"]))
    occurrences, skipped = plan(campaign)
    assert occurrences == []
    assert {s.offset for s in skipped} == {"-1h", "-30m"}
    assert all("quiet hours" in s.reason for s in skipped)


def test_a_reminder_at_its_event_waits_for_morning_while_the_event_lasts() -> None:
    # Fujian's results (7月15日, a whole day): "0" is midnight, goes at 8:00 that day.
    campaign = with_reminders(FUJIAN, spec(event="results", offsets=["0"]))
    assert schedule(campaign) == [("2023-07-15T08:00:00+08:00", "r", "0")]


def test_never_after_its_event() -> None:
    assert due_now(FUJIAN, at("2023-07-12T16:59")) != []
    assert due_now(FUJIAN, at("2023-07-12T17:00")) == []  # closed: nothing about closing
    assert [o.reminder.id for o in due_now(FUJIAN, at("2023-09-01T09:00"))] == []


def test_only_the_latest_of_a_group_goes_out() -> None:
    # Down from 6月26日 to 6月29日 10:00: the 3-day and the 1-day reminders are both due.
    due = due_now(XIAOGAN, at("2023-06-29T10:00"))
    assert sorted((o.reminder.id, o.offset) for o in due) == [
        ("closes", "-1d@09:00"), ("closes_official", "-1d@09:00")]
    # Fujian 7月9日 9:00: "opens tomorrow" and "open now" are both due; only "open now" goes.
    assert [(o.reminder.id, o.offset) for o in due_now(FUJIAN, at("2023-07-09T09:00"))] == [
        ("opens", "0")]


def test_expiry_stops_a_stale_opening_notice() -> None:
    assert [o.reminder.id for o in due_now(XIAOGAN, at("2023-05-05T12:00"))] == ["opens"]
    assert due_now(XIAOGAN, at("2023-05-07T12:00")) == []


def test_report_in_goes_to_admitted_and_counts_down() -> None:
    due = due_now(FUJIAN, at("2023-08-28T09:00"))
    assert [(o.reminder.id, o.offset) for o in due] == [("report_in", "-3d@09:00")]
    text = render(FUJIAN, due[0], at("2023-08-28T09:00"))
    assert "2023年8月31日" in text and "还剩约3天" in text


def test_render_fills_dates_and_links_and_escapes() -> None:
    now = at("2023-07-12T15:00")
    occurrence, _ = due_now(FUJIAN, now)  # closes and closes_official (who can use /my)
    text = render(FUJIAN, occurrence, now)
    assert "<b>2023年7月12日 17:00</b>" in text and "还剩约2小时" in text
    assert "fjzlqk.wsglw.net" in text and FUJIAN.name in text
    tricky = with_reminders(FUJIAN.model_copy(update={"name": "A<B"}), spec())
    (occurrence,) = due_now(tricky, now)
    assert "A&lt;B" in render(tricky, occurrence, now)


@pytest.mark.parametrize(("hours", "text"), [
    (24 * 3 + 15, "3天"), (24 + 14.9, "1天"), (23.9, "23小时"), (2, "2小时"), (0.5, "30分钟")])
def test_time_left(hours: float, text: str) -> None:
    from datetime import timedelta
    assert cn_left(timedelta(hours=hours)) == text
