"""Every message an applicant can get from the bundled campaigns, through the real Dispatcher.

For each campaign and each date that matters to it (before the pre-registration, before, in and
after the official window, around every dated event, after the last one), a fresh applicant:
chooses the campaign (and takes the reminder offer), opens every menu section and pages through
it, asks /help /settings /my /mydata, takes the self-check with every example of the campaign
file (paging through the verdict), pre-registers when the form is open (receipt pages, /my,
their own result marks); then the staff status notices of that registration are rendered as the
ledger sends them, and every reminder occurrence at the moment it goes out.

Each message is kept with whom it reached (`audiences`, as content/promises.py names them) so
tests/test_applicant_promises.py can check its promises and tests/test_applicant_lengths.py its
length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import make_url

from content.eligibility_render import choice_label
from content.promises import ADMITTED, NEWCOMER, PREREGISTERED
from content.reminders import plan, render
from content.schema import Campaign
from handlers.keyboards import MenuCb
from storage.records import notice_text
from storage.registrations import Registration
from tests.harness import Calls, Harness
from tests.registration_helpers import id_number

STAFF_STATUSES = ("review_passed", "review_failed", "admitted", "not_admitted", "reported",
                  "gave_up")


@dataclass(frozen=True)
class Seen:
    slug: str
    now: datetime
    what: str  # where it came from: "section registration p2", "verdict 护理专业" …
    text: str
    audiences: frozenset[str]


def dates(campaign: Campaign) -> list[datetime]:
    """Before, during and after each window, around each dated event, after the last one."""
    hour, day = timedelta(hours=1), timedelta(days=1)
    window = campaign.registration.window
    # No opening date (only a deadline): well before the close stands for "before".
    # Only a start (5月2日起): ten days on stands for the close.
    start = window.opens or window.last - 10 * day
    end = window.closes or window.last + 10 * day
    moments = [start - 3 * day, start + hour, end - hour, end + day]
    if campaign.form is not None:
        moments += [campaign.form.opens - day, campaign.form.opens + hour]
    for event in campaign.events:
        for at in (event.start, event.end):
            if at is not None:
                moments += [at - hour, at + hour]
    moments.append(max(moments) + 30 * day)
    return sorted(set(moments))


class Tour:
    def __init__(self, harness: Harness, campaign: Campaign) -> None:
        self.h, self.campaign = harness, campaign
        self.seen: list[Seen] = []
        self.user = 5000

    def keep(self, what: str, calls: Calls | list[str], audiences: frozenset[str]) -> Calls:
        texts = calls.texts if isinstance(calls, Calls) else calls
        self.seen += [Seen(self.campaign.slug, self.h.clock.now(), what, text, audiences)
                      for text in texts]
        return calls if isinstance(calls, Calls) else Calls()

    async def pages(self, what: str, calls: Calls, audiences: frozenset[str]) -> None:
        """Keep `calls`, then press 更多 until the last page, keeping each page."""
        self.keep(what, calls, audiences)
        for _ in range(20):
            more = [label for label in self.h.labels(self.user) if label.startswith("更多 ›")]
            if not more:
                return
            self.keep(f"{what} {more[0]}", await self.h.press(more[0], self.user), audiences)

    async def run(self) -> list[Seen]:
        for now in dates(self.campaign):
            self.h.clock.set(now)
            await self.applicant()
        return self.seen

    async def applicant(self) -> None:
        self.user += 1
        slug, fresh = self.campaign.slug, NEWCOMER
        calls = self.keep("start", await self.h.send(f"/start {slug}", self.user), fresh)
        if "🔔 开启报名提醒" in calls.labels:
            self.keep("subscribe", await self.h.press("🔔 开启报名提醒", self.user), fresh)
        for key in self.campaign.sections:
            data = MenuCb(slug=slug, section=key).pack()
            await self.pages(f"section {key}", await self.h.press_data(data, self.user), fresh)
        for command in ("/help", "/settings", "/my", "/mydata", "/subscribe"):
            self.keep(command, await self.h.send(command, self.user), fresh)
        await self.register()
        self.user += 1  # the self-checks by someone else: their answers would prefill the form
        await self.h.send(f"/start {slug}", self.user)
        await self.self_checks()

    async def self_checks(self) -> None:
        spec = self.campaign.eligibility
        for example in spec.examples if spec is not None else []:
            calls = await self.h.send("/check", self.user)
            if "开始自查" in calls.labels:
                calls = await self.h.press("开始自查", self.user)
            calls = await self.answer(dict(example.profile))
            await self.pages(f"verdict {example.name}", calls, NEWCOMER)

    async def answer(self, profile: dict[str, Any]) -> Calls:
        calls = Calls()
        for _ in range(12):
            context = self.h.dispatcher.fsm.get_context(bot=self.h.bot, chat_id=self.user,
                                                        user_id=self.user)
            state = await context.get_state()
            if not state or not state.startswith("EligibilityFlow:"):
                return calls
            field = state.split(":", 1)[1]
            if field == "condition":  # one of the notice's own questions: its value is the label
                field = str((await context.get_data()).get("el_field"))
                value = profile.get(field)
                # An example silent on the question: the first choice (the verdict still renders).
                label = str(value) if value is not None else self.h.labels(self.user)[0]
                calls = await self.h.press(label, self.user)
                continue
            value = profile[field]
            if field in ("major", "birth_date"):
                calls = await self.h.send(str(value), self.user)
            else:
                calls = await self.h.press(choice_label(self.h.services.texts, field, value),
                                           self.user)
        return calls

    async def register(self) -> None:
        fresh = NEWCOMER
        calls = self.keep("register", await self.h.send("/register", self.user), fresh)
        if "✅ 同意并开始" not in calls.labels:
            return
        self.keep("form", await self.h.press("✅ 同意并开始", self.user), fresh)
        self.keep("form", await self.h.press("✅ 同意提供身份证号", self.user), fresh)
        answers = ("张三", id_number(f"42090219990101{self.user % 1000:03d}"), "13812345678",
                   "某某卫生职业学院", "2022")
        for answer in answers:
            self.keep("form", await self.h.send(answer, self.user), fresh)
        for label in ("专科（高职高专）", "临床医学", "未取得执业资格"):
            self.keep("form", await self.h.press(label, self.user), fresh)
        form = self.campaign.form
        assert form is not None
        accepted = next(p for p in form.person_types if p.accepted)
        calls = self.keep("form", await self.h.press(accepted.label, self.user), fresh)
        most = self.campaign.registration.max_choices or len(self.campaign.plan.bases)
        for _ in range(most + 2):
            labels = [x for x in calls.labels if x not in ("« 上一步", "✖ 取消")]
            if "✅ 确认提交" in labels:
                break
            calls = self.keep("form", await self.h.press(labels[0], self.user), fresh)
        receipt = await self.h.press("✅ 确认提交", self.user)
        await self.pages("receipt", receipt, PREREGISTERED)
        self.keep("/my registered", await self.h.send("/my", self.user), PREREGISTERED)
        await self.staff_notices()
        # Once results are out (the results event, else the window's close): their own mark.
        now = self.h.clock.now()
        results = self.campaign.event("results")
        out = ((results.start or results.end) if results is not None else None) or \
            self.campaign.registration.window.closes
        if out is None:
            return  # no results date and no deadline: the bot cannot tell when results are out
        self.h.clock.set(max(now, out + timedelta(hours=1)))
        my = self.keep("/my registered", await self.h.send("/my", self.user), PREREGISTERED)
        marks = [label for label in my.labels if label.startswith("🎉 我已被录取")]
        assert marks, my.labels
        self.keep("marked admitted", await self.h.press(marks[0], self.user), ADMITTED)
        self.h.clock.set(now)

    async def staff_notices(self) -> None:
        """What a status change sends the applicant (storage.records.change_status enqueues
        exactly this text), for each status staff can set."""
        async with self.h.services.sessionmaker() as session:
            from sqlmodel import select

            rows = (await session.exec(select(Registration).where(
                Registration.user_id == self.user))).all()
        for row in rows:
            for status in STAFF_STATUSES:
                shown = row.model_copy(update={"status": status, "status_reason": "材料不全"})
                audiences = ADMITTED if status == "admitted" else PREREGISTERED
                self.keep(f"notice {status}", [notice_text(shown, self.campaign,
                                                           self.h.services.texts,
                                                           self.h.clock.now())], audiences)

    def every_reminder(self) -> None:
        """Each reminder occurrence at the moment it goes out, as the tick renders it."""
        for occurrence in plan(self.campaign, self.h.services.texts)[0]:
            text = render(self.campaign, occurrence, occurrence.due, self.h.services.texts)
            readers = set(occurrence.reminder.audience)
            if "all_subscribers" in readers:  # all of them: those not pre-registered too
                readers.add("subscribers_not_preregistered")
            self.seen.append(Seen(self.campaign.slug, occurrence.due,
                                  f"reminder {occurrence.reminder.id} {occurrence.offset}", text,
                                  frozenset(readers)))


# One tour per campaign and database kind in a test process: the promise and the length tests
# read the same messages, and the tour is the slowest thing in the suite (≈10 s a campaign).
_TOURS: dict[tuple[str, str], list[Seen]] = {}


async def tour(harness: Harness, campaign: Campaign) -> list[Seen]:
    backend = make_url(harness.services.settings.effective_database_url).get_backend_name()
    key = (backend, campaign.slug)
    if key not in _TOURS:
        trip = Tour(harness, campaign)
        seen = await trip.run()
        trip.every_reminder()
        _TOURS[key] = seen
    return list(_TOURS[key])
