"""The eligibility self-check: a campaign's rules (data) applied to an applicant's profile.

Conditions are evaluated in three values (holds, fails, unknown) so that a question is asked only
when its answer can change the verdict: with 学历 = 中专 the scope of a licence does not matter,
and Fujian, which sets no age limit, never asks for a birth date. A rule whose conditions all
hold fires; any ineligible rule makes the verdict ineligible, else any conditional one makes it
conditional. A field a rule still needs is reported missing, never guessed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from bot.clock import to_shanghai
from content.dates import cn_date, cn_deadline
from content.idcard import birth_date_from_id
from content.majors import in_major_group
from content.promises import hours_label
from content.schema import Campaign
from content.schema_eligibility import Condition, EligibilitySpec, Profile, Rule
from content.silence import no_contacts, phones_text, where_to_register
from content.texts import Texts, default_texts

__all__ = [
    "InvalidProfile", "MissingFields", "NextStep", "Profile", "Reason", "Verdict", "age_on",
    "birth_date_from_id", "check_examples", "evaluate", "in_major_group", "missing_fields",
    "parse_profile",
]

VerdictName = Literal["eligible", "ineligible", "conditional"]


class MissingFields(ValueError):
    def __init__(self, fields: list[str]) -> None:
        super().__init__(f"missing profile fields: {', '.join(fields)}")
        self.fields = fields


class InvalidProfile(ValueError):
    """``problems``: (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems


class Reason(BaseModel):
    rule: str
    outcome: Literal["ineligible", "conditional"]
    text: str
    clause: str
    source: str  # 《notice title》clause


class NextStep(BaseModel):
    kind: str
    text: str


class Verdict(BaseModel):
    """Plain text throughout: renderers escape it for HTML."""

    campaign: str
    verdict: VerdictName
    reasons: list[Reason]
    next_steps: list[NextStep]
    notes: list[str]
    age: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reasons": [{"rule": r.rule, "text": r.text, "source": r.source} for r in self.reasons],
            "next_steps": [s.text for s in self.next_steps],
            "notes": self.notes,
        }


def parse_profile(data: dict[str, Any], spec: EligibilitySpec | None = None) -> Profile:
    """A Profile from JSON-like data, or InvalidProfile naming each bad field. With the
    campaign's `spec`, its own questions are taken under their ids (``"study_mode": "非全日制"``),
    each value one of the question's choices."""
    data = dict(data)
    questions = {q.id: q for q in spec.questions} if spec is not None else {}
    own = {k: data.pop(k) for k in list(data) if k in questions}
    wrong = [(k, f"must be one of: {', '.join(questions[k].values())}")
             for k, v in own.items() if v not in questions[k].values()]
    if wrong:
        raise InvalidProfile(wrong)
    if own:
        data["conditions"] = own
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        problems = [(".".join(str(p) for p in e["loc"]) or "profile", e["msg"])
                    for e in error.errors()]
        raise InvalidProfile(problems) from error


def age_on(birth: date, day: date) -> int:
    """Whole years at ``day``; a birthday not yet reached that year does not count."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _holds(spec: EligibilitySpec, name: str, condition: Condition, profile: Profile) -> bool | None:
    value = profile.value(name)
    if value is None:
        return None
    checks: list[bool] = []
    if condition.in_ is not None:
        checks.append(value in condition.in_)
    if condition.not_in is not None:
        checks.append(value not in condition.not_in)
    if condition.equals is not None:
        checks.append(value is condition.equals)
    if condition.age_over is not None or condition.age_under is not None:
        assert spec.reference_date is not None  # the schema requires it for age rules
        age = age_on(value, spec.reference_date)
        if condition.age_over is not None:
            checks.append(age > condition.age_over)
        if condition.age_under is not None:
            checks.append(age < condition.age_under)
    if condition.in_group is not None:
        checks.append(in_major_group(spec, condition.in_group, value))
    if condition.not_in_group is not None:
        checks.append(not in_major_group(spec, condition.not_in_group, value))
    return all(checks)


def _fires(spec: EligibilitySpec, rule: Rule, profile: Profile) -> bool | None:
    """True, False, or None when it depends on a field not given yet."""
    results = [_holds(spec, name, c, profile) for name, c in rule.when.items()]
    if False in results:
        return False
    return None if None in results else True


def missing_fields(spec: EligibilitySpec, profile: Profile | dict[str, Any]) -> list[str]:
    """Fields still needed for a verdict, in asking order (none: the verdict is decided)."""
    if isinstance(profile, dict):
        profile = parse_profile(profile, spec)
    needed = {name for rule in spec.rules if _fires(spec, rule, profile) is None
              for name in rule.when if profile.value(name) is None}
    return [name for name in spec.order() if name in needed]


def evaluate(campaign: Campaign, profile: Profile, now: datetime,
             texts: Texts | None = None) -> Verdict:
    """The verdict with every reason and the next steps as of ``now``."""
    spec = campaign.eligibility
    if spec is None:
        raise ValueError(f"campaign {campaign.slug} has no eligibility rules")
    missing = missing_fields(spec, profile)
    if missing:
        raise MissingFields(missing)
    if profile.birth_date is not None and profile.birth_date > to_shanghai(now).date():
        raise InvalidProfile([("birth_date", "in the future")])
    texts = texts or default_texts()
    age = (age_on(profile.birth_date, spec.reference_date)
           if profile.birth_date and spec.reference_date else None)
    fired = [rule for rule in spec.rules if _fires(spec, rule, profile)]
    outcomes = {rule.outcome for rule in fired}
    verdict: VerdictName = ("ineligible" if "ineligible" in outcomes
                            else "conditional" if outcomes else "eligible")
    values = {"age": "" if age is None else age, "major": profile.major or "",
              "reference_date": cn_date(spec.reference_date) if spec.reference_date else ""}
    reasons = [Reason(rule=r.id, outcome=r.outcome, text=r.message.format(**values),
                      clause=r.clause, source=campaign.cite(r.clause)) for r in fired]
    notes = []
    if verdict != "ineligible" and spec.eligible_note is not None:
        notes.append(f"{spec.eligible_note.text}（{campaign.cite(spec.eligible_note.clause)}）")
    if age is not None and spec.reference_note:
        notes.append(spec.reference_note)
    return Verdict(campaign=campaign.slug, verdict=verdict, reasons=reasons, notes=notes, age=age,
                   next_steps=_next_steps(campaign, verdict, fired, now, texts))


def _next_steps(campaign: Campaign, verdict: VerdictName, fired: list[Rule], now: datetime,
                texts: Texts) -> list[NextStep]:
    # An ineligible applicant is pointed only where their ineligible reasons lead: a
    # conditional rule's other batch has the same requirements they fail.
    deciding = [r for r in fired if r.outcome == verdict]
    kinds = {k for r in deciding for k in r.next_steps} if fired else {"pre_register"}
    steps = []
    for kind in ("other_batch", "pre_register", "contact"):
        if kind in kinds:
            steps.append(NextStep(kind=kind, text=_step_text(campaign, kind, now, texts)))
    return steps


def _step_text(campaign: Campaign, kind: str, now: datetime, texts: Texts) -> str:
    spec = campaign.eligibility
    assert spec is not None
    # Templates are plain text (they reach JSON and the terminal too): fill them unescaped.
    if kind == "other_batch":
        batch = spec.other_batch
        assert batch is not None  # the schema refuses other_batch without a description
        return texts("eligibility.next.other_batch").format(
            name=batch.name, text=batch.text, source=campaign.cite(batch.clause))
    if kind == "contact":
        return _contacts_text(campaign, texts, now)
    reg = campaign.registration
    phase = reg.window.phase(now)
    # /register is offered only while this campaign's pre-registration is open (issue 12 §2).
    form_open = campaign.form is not None and campaign.form.is_open(now)
    # No deadline in the notice: registration is on, without a date to do it by.
    state = "open_no_close" if phase == "open" and reg.window.closes is None else phase
    key = f"eligibility.next.pre_register.{state}" + ("" if form_open or phase == "closed"
                                                     else "_no_form")
    closes = reg.window.closes
    return texts(key).format(
        window=reg.window.span, where=where_to_register(reg, texts),
        closes=cn_deadline(closes) if closes is not None else "")



def _contacts_text(campaign: Campaign, texts: Texts, now: datetime) -> str:
    spec = campaign.eligibility
    assert spec is not None
    contacts = [c for i in spec.contact_ids if (c := campaign.contact(i))] or campaign.contacts
    lines = [texts("eligibility.next.contact")]
    if not contacts:
        lines.append(no_contacts(campaign, texts))
    for contact in contacts:
        who = "".join(x for x in (contact.organisation, contact.person) if x)
        line = f"{who}：{phones_text(contact, texts)}"
        hours = hours_label(contact, now, texts)
        lines.append(f"{line}（{hours}）" if hours else line)
    if campaign.phone_note:
        lines.append(campaign.phone_note)
    return "\n".join(lines)


def check_examples(campaign: Campaign) -> list[str]:
    """What is wrong with a campaign's eligibility section: failing examples, gaps, bad ids."""
    spec = campaign.eligibility
    if spec is None:
        return []
    problems = [f"eligibility: unknown contact {i!r}" for i in spec.contact_ids
                if campaign.contact(i) is None]
    now = campaign.registration_moment
    fired_somewhere: set[str] = set()
    for example in spec.examples:
        label = f"eligibility example {example.name!r}"
        try:
            result = evaluate(campaign, example.profile, now)
        except (MissingFields, InvalidProfile) as error:
            problems.append(f"{label}: {error}")
            continue
        ids = [r.rule for r in result.reasons]
        fired_somewhere.update(ids)
        if result.verdict != example.verdict:
            problems.append(f"{label}: expected {example.verdict}, got {result.verdict} "
                            f"(rules fired: {', '.join(ids) or 'none'})")
        if example.rules is not None and sorted(example.rules) != sorted(ids):
            problems.append(f"{label}: expected rules {sorted(example.rules)}, got {sorted(ids)}")
    if spec.examples:
        problems += [f"eligibility: rule {r.id!r} is not exercised by any example"
                     for r in spec.rules if r.id not in fired_somewhere]
        if not any(e.verdict == "eligible" for e in spec.examples):
            problems.append("eligibility: no example of an eligible applicant")
    return problems
