"""The reminder planner: from a campaign's reminder specs and the clock to what is due. Pure.

Rules (issue 6):
- quiet hours 22:00–08:00 Asia/Shanghai: a reminder due then goes out at 08:00, unless that is
  too late for it;
- never after its event: a reminder before the event's moment ("closes in 2 hours") must go
  before that moment; one at or after it ("registration is open") must go before the event is
  over (a window's close, an event's end, the end of a day-only event's day);
- when several reminders of the same event for the same people are due at once (after downtime
  or quiet hours), only the latest goes out: nobody reads "7 days left" on the day before.
The ledger (storage.delivery) makes each occurrence's message key send once; this module only
says which occurrences are due now.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.clock import SHANGHAI, to_shanghai
from content.dates import cn_date, cn_datetime
from content.schema import Campaign
from content.schema_reminders import Offset, ReminderSpec
from content.silence import where_to_register
from content.texts import Raw, Texts, default_texts

QUIET_START = time(22, 0)
QUIET_END = time(8, 0)
CALLBACK_PREFIX = "rm"


@dataclass(frozen=True)
class EventMoment:
    """What a reminder points at: its moment `at`, the `day` day-offsets count from, its end."""

    ref: str
    title: str
    text: str
    at: datetime
    day: date
    over: datetime


@dataclass(frozen=True)
class Occurrence:
    """One send of one reminder: spec × offset, at `due` (quiet hours applied), until `deadline`."""

    campaign_slug: str
    reminder: ReminderSpec
    offset: str
    event: EventMoment
    nominal: datetime
    due: datetime
    deadline: datetime

    @property
    def key(self) -> str:
        """The ledger's message key; a moved event (a corrected notice) gets new keys."""
        return (f"rm:{self.campaign_slug}:{self.reminder.id}:{self.offset}:"
                f"{self.event.at.strftime('%Y%m%dT%H%M')}")

    @property
    def group(self) -> tuple[str, tuple[str, ...]]:
        return self.event.ref, tuple(sorted(self.reminder.audience))

    @property
    def before_event(self) -> bool:
        return self.nominal < self.event.at


@dataclass(frozen=True)
class Skipped:
    reminder: ReminderSpec
    offset: str
    nominal: datetime
    reason: str


def resolve_event(campaign: Campaign, ref: str, texts: Texts | None = None) -> EventMoment | None:
    texts = texts or default_texts()
    window = campaign.registration.window
    if ref in ("registration.opens", "registration.closes"):
        opens = ref.endswith("opens")
        at = window.opens if opens else window.closes
        if at is None:
            return None  # the notice gives no opening date: nothing to remind of
        title = texts("reminders.event.opens" if opens else "reminders.event.closes")
        return EventMoment(ref, title, "", at, at.date(), window.closes or _end_of_day(at))
    event_id, _, part = ref.partition(".")
    event = campaign.event(event_id)
    if event is None:
        return None
    at = event.end if part == "end" else (event.start or event.end)
    if at is None:
        return None
    if part != "end" and event.end is not None:
        over = event.end
    else:
        over = _end_of_day(at) if at.time() == time(0) else at
    return EventMoment(ref, event.title, event.text, at, at.date(), over)


def _end_of_day(moment: datetime) -> datetime:
    return datetime.combine(moment.date() + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def nominal_time(event: EventMoment, offset: Offset) -> datetime:
    if offset.at is not None and offset.days is not None:
        return datetime.combine(event.day + timedelta(days=offset.days), offset.at, tzinfo=SHANGHAI)
    return event.at + offset.delta


def in_quiet_hours(moment: datetime) -> bool:
    return not QUIET_END <= to_shanghai(moment).time() < QUIET_START


def quiet_hours_start(moment: datetime) -> datetime:
    """When the quiet hours that `moment` is in, or the next ones, begin (22:00 Shanghai)."""
    local = to_shanghai(moment)
    day = local.date() - timedelta(days=1) if local.time() < QUIET_END else local.date()
    return datetime.combine(day, QUIET_START, tzinfo=SHANGHAI)


def out_of_quiet_hours(moment: datetime) -> datetime:
    """The same moment, or 08:00 after it when it falls in 22:00–08:00 Shanghai."""
    local = to_shanghai(moment)
    if QUIET_END <= local.time() < QUIET_START:
        return local
    day = local.date() + timedelta(days=1) if local.time() >= QUIET_START else local.date()
    return datetime.combine(day, QUIET_END, tzinfo=SHANGHAI)


def plan(campaign: Campaign, texts: Texts | None = None) -> tuple[list[Occurrence], list[Skipped]]:
    """Every occurrence that can go out, by due time; and those that never can, with why."""
    occurrences: list[Occurrence] = []
    skipped: list[Skipped] = []
    for spec in campaign.reminders:
        event = resolve_event(campaign, spec.event, texts)
        if event is None:
            continue  # reminder_problems reports it; a broken reference never sends
        for offset in spec.parsed_offsets:
            nominal = nominal_time(event, offset)
            due = out_of_quiet_hours(nominal)
            deadline = event.at if nominal < event.at else event.over
            if spec.expiry is not None:
                deadline = min(deadline, due + spec.expiry)
            if due >= deadline:
                reason = "quiet hours move it past its event" if due > nominal else \
                    "it falls after its event"
                skipped.append(Skipped(spec, offset.text, nominal, reason))
                continue
            occurrences.append(Occurrence(campaign.slug, spec, offset.text, event, nominal, due,
                                          deadline))
    occurrences.sort(key=lambda o: (o.due, o.nominal, o.reminder.id))
    return occurrences, skipped


def due_now(campaign: Campaign, now: datetime, texts: Texts | None = None) -> list[Occurrence]:
    """The occurrences to send at `now`: due, still relevant, the latest of each group."""
    latest: dict[tuple[str, tuple[str, ...]], Occurrence] = {}
    for occurrence in plan(campaign, texts)[0]:
        if not occurrence.due <= now:
            continue
        current = latest.get(occurrence.group)
        if current is None or (occurrence.due, occurrence.nominal) > (current.due, current.nominal):
            latest[occurrence.group] = occurrence
    # The latest may itself be too late now: then the whole group is done, nothing goes out.
    return [o for o in latest.values() if now < o.deadline]


def states(occurrences: list[Occurrence], due: list[Occurrence], now: datetime) -> list[str]:
    """Each occurrence's state at `now`: upcoming, due (goes out now), or passed (sent earlier,
    superseded by a later one of its group, or too late)."""
    due_keys = {o.key for o in due}
    return ["due" if o.key in due_keys else "upcoming" if o.due > now else "passed"
            for o in occurrences]


def reminder_problems(campaign: Campaign) -> list[str]:
    """References that do not resolve and ids used twice (for check-content)."""
    found: list[str] = []
    ids = [r.id for r in campaign.reminders]
    found += [f"reminders：id {i!r} 用了两次，每个提醒的 id 要不同" for i in sorted({i for i in ids
                                                                    if ids.count(i) > 1})]
    window = campaign.registration.window
    for spec in campaign.reminders:
        hourly = [o.text for o in spec.parsed_offsets
                  if o.at is None and timedelta(0) < abs(o.delta) < timedelta(days=1)]
        if hourly and spec.event.startswith("registration.") and not window.time_stated:
            found.append(f"reminders.{spec.id}：offsets {hourly} 按小时提前，但通知没有给出"
                         "报名的具体时刻（registration.window.time_stated 为 false）：改用 "
                         "-1d@09:00 这样按天的提前量")
        if spec.event == "registration.opens" and window.opens is None:
            found.append(f"reminders.{spec.id}：通知没有写报名开始日期（registration.window 没有 "
                         "opens），这个提醒发不出去：删去它，或改用 registration.closes")
        elif spec.event == "registration.closes" and window.closes is None:
            found.append(f"reminders.{spec.id}：通知没有写报名截止日期（registration.window 没有 "
                         "closes），这个提醒发不出去：删去它，或改用 registration.opens")
        elif resolve_event(campaign, spec.event) is None:
            found.append(f"reminders.{spec.id}：event {spec.event!r} 不是 registration.opens、"
                         "registration.closes，也不是 events 里有日期的事件 id：改成其中之一")
    return found


def cn_moment(moment: datetime) -> str:
    """2023年7月12日 17:00; a moment at 23:59 or midnight reads as its day alone."""
    local = to_shanghai(moment)
    if (local.hour, local.minute) in ((23, 59), (0, 0)):
        return cn_date(local)
    return cn_datetime(local)


def _moment_or_silence(moment: datetime | None) -> str:
    return cn_moment(moment) if moment is not None else default_texts()("silence.not_given")


def cn_left(delta: timedelta) -> str:
    """Time left, in whole units rounded down, as people say it: 3天, 2小时, 40分钟."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    if minutes >= 24 * 60:
        return f"{minutes // (24 * 60)}天"
    return f"{minutes // 60}小时" if minutes >= 60 else f"{minutes}分钟"


def placeholder_values(campaign: Campaign, occurrence: Occurrence, now: datetime) -> dict[str, str]:
    window = campaign.registration.window
    event = occurrence.event
    target = event.at if occurrence.before_event else event.over
    return {
        "campaign": campaign.name,
        "citation": campaign.citation,
        # check-content refuses {channel}/{url} in a campaign without them: a last guard.
        "channel": campaign.registration.channel or where_to_register(campaign.registration),
        "url": campaign.registration.url or where_to_register(campaign.registration),
        # check-content refuses {opens}, {closes} without the date: a last guard.
        "opens": _moment_or_silence(window.opens),
        "closes": _moment_or_silence(window.closes),
        "window": window.span,
        "event": event.title,
        "event_at": cn_moment(event.at),
        "event_date": cn_date(event.at),
        "event_text": event.text,
        "left": cn_left(target - now),
    }


def render(campaign: Campaign, occurrence: Occurrence, now: datetime,
           texts: Texts | None = None) -> str:
    """The message as sent: a heading with the campaign, the reminder, the way to stop them."""
    texts = texts or default_texts()
    values = {k: html.escape(v, quote=False)
              for k, v in placeholder_values(campaign, occurrence, now).items()}
    body = occurrence.reminder.text.format(**values)
    return texts("reminders.message", campaign=campaign.name, body=Raw(body))


def unsubscribe_callback(slug: str) -> str:
    """What handlers.reminders.ReminderCb(action="stop", slug=slug).pack() gives (tested)."""
    return f"{CALLBACK_PREFIX}:stop:{slug}"


def reply_markup(campaign: Campaign, texts: Texts | None = None) -> dict[str, object]:
    """The one button under every reminder: stop reminders of this campaign."""
    texts = texts or default_texts()
    button = {"text": texts("reminders.button.stop"),
              "callback_data": unsubscribe_callback(campaign.slug)}
    return {"inline_keyboard": [[button]]}
