"""Personal questions answered with the campaign's eligibility rules (content/eligibility.py).

"护理专业能报吗" states one fact of the asker's profile (content/qa_profile.py). Only the rules
whose fields are all stated are applied; a rule that may still apply but needs an unstated field
is shown in the notice's own words ("还要看…"). A stated field no rule reads is said to be left
open by the notice ("通知未对…作出规定") only when the campaign declares the notice silent on it
(``eligibility.silent_on``); otherwise the reply says it has no clause to go by and whom to ask,
never "没有限制". The campaign's own questions (``eligibility.questions``) are read from their
choices' words. Nothing else is guessed, and the reply points to the full self-check. A loosely
stated fact (an age, not a birth date) is tried at each value it may stand for; when those
disagree, the field counts as not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import product

from bot.clock import to_shanghai
from content.eligibility import Verdict, evaluate
from content.normalise import normalise
from content.qa_builders import Part
from content.qa_knowledge import Knowledge
from content.qa_profile import Stated, stated
from content.schema import Campaign, Fact
from content.schema_eligibility import FIELDS, EligibilitySpec, Profile, Rule
from content.texts import Texts

# The generic intent (content/intents.yaml) whose topic names the notice's "who may apply".
WHO_INTENT = "who"
# A stated value checked against a limit ("34岁能报吗": 35周岁以下) is answered with the limit in
# the notice's words; other rules' clauses say whom they exclude, which a yes should not quote.
LIMIT_FIELDS = frozenset({"birth_date"})
# How a stated value reads in the reply's title, where the value alone would not do.
_SAID = {("qualification", "执业医师"): "licensed",
         ("qualification", "执业助理医师"): "assistant",
         ("qualification", "无"): "none",
         ("scope_includes_gp", "True"): "scope_yes",
         ("scope_includes_gp", "False"): "scope_no",
         ("employment", "基层医疗卫生机构"): "grassroots",
         ("employment", "其他单位"): "elsewhere",
         ("employment", "在职"): "employed",
         ("employment", "无"): "unemployed"}


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict  # from the rules whose fields are all known
    pending: tuple[Rule, ...]  # may still apply: they need a field the question leaves out
    unread: tuple[str, ...]  # stated fields no rule reads
    checked: tuple[Rule, ...]  # the rules applied

    @property
    def signature(self) -> tuple[object, ...]:
        return (self.verdict.verdict, tuple(r.rule for r in self.verdict.reasons),
                tuple(r.id for r in self.pending))


def _with_rules(campaign: Campaign, rules: list[Rule]) -> Campaign:
    # Copies without validation: a spec with only some rules, or a rule with fewer conditions.
    assert campaign.eligibility is not None
    spec = campaign.eligibility.model_copy(update={"rules": rules})
    return campaign.model_copy(update={"eligibility": spec})


def outcome(campaign: Campaign, profile: Profile, now: datetime,
            unsure: frozenset[str] = frozenset()) -> Outcome:
    """What the rules say about a partial profile; `unsure` fields were stated but undecided."""
    spec = campaign.eligibility
    assert spec is not None
    known = {name for name in spec.order() if profile.value(name) is not None}
    decided = [r for r in spec.rules if set(r.when) <= known]
    partial = [r.model_copy(update={"when": {k: c for k, c in r.when.items() if k in known}})
               for r in spec.rules
               if set(r.when) & (known | unsure) and not set(r.when) <= known]
    verdict = evaluate(_with_rules(campaign, decided), profile, now)
    could = evaluate(_with_rules(campaign, partial), profile, now) if partial else None
    pending_ids = {r.rule for r in could.reasons} if could else set()
    used = set(spec.fields())
    return Outcome(verdict, tuple(r for r in spec.rules if r.id in pending_ids),
                   tuple(n for n in spec.order() if n in known and n not in used),
                   tuple(decided))


def settle(campaign: Campaign, found: Stated, now: datetime) -> tuple[Outcome, frozenset[str]]:
    """The outcome every reading of the stated facts agrees on, and the fields left unsure."""
    options = dict(found.options)
    unsure: set[str] = set()
    while True:
        results = [outcome(campaign, _profile(dict(zip(options, values, strict=True))), now,
                           frozenset(unsure))
                   for values in product(*options.values())]
        if len({r.signature for r in results}) == 1:
            return results[0], frozenset(unsure)
        # The loosest field makes the difference: leave it unknown.
        loose = max(options, key=lambda name: len(options[name]))
        del options[loose]
        unsure.add(loose)


def _profile(values: dict[str, object]) -> Profile:
    """Common fields as such, the campaign's own questions under `conditions`."""
    common = {k: v for k, v in values.items() if k in FIELDS}
    return Profile(**common, conditions={k: str(v) for k, v in values.items()
                                         if k not in FIELDS})


def personal_part(kn: Knowledge, text: str, now: datetime, t: Texts) -> Part | None:
    """The reply to a personal question (`text` in its readable normal form), or None."""
    campaign = kn.campaign
    spec = campaign.eligibility
    found = (stated(text, to_shanghai(now).date(), spec.questions) if spec is not None
             else None)
    if spec is None or found is None:
        return None
    result, unsure = settle(campaign, found, now)
    verdict = result.verdict
    kind = verdict.verdict if verdict.verdict != "eligible" or not result.pending else "depends"
    unknown = [n for n in result.unread
               if spec.silence(n) is None and spec.left_open(n) is None]
    if kind == "eligible" and not result.checked and len(unknown) == len(found.said):
        kind = "unknown"  # nothing stated is read by a rule or declared left open
    lines = [t(f"qa.personal.lead.{kind}")]
    if kind in ("eligible", "depends") and not any(spec.left_open(n) for n in result.unread):
        # (a field left open is said in the notice's words); what is still to check comes after
        # whom the notice recruits, its central words (a workplace named must not pick a clause)
        lines += _basis(kn, _without_lacked(text, found) if kind == "eligible" else "", t)
    # "34岁能报吗": the limit the stated age was checked against, in the notice's words; where
    # more is pending, after it, as met.
    limits = [(fact.text, fact.clause) for rule in result.checked
              if set(rule.when) & set(found.said) & LIMIT_FIELDS
              if (fact := _own_words(kn, rule)) is not None]
    if kind == "eligible":
        lines += [t("qa.personal.basis", text=text_, clause=clause) for text_, clause in limits]
    lines += [t("qa.personal.reason", text=r.text, clause=r.clause) for r in verdict.reasons]
    if kind == "conditional" and spec.other_batch and any(
            s.kind == "other_batch" for s in verdict.next_steps):
        lines.append(t("qa.personal.reason", text=spec.other_batch.text,
                       clause=spec.other_batch.clause))
    if kind in ("depends", "eligible", "unknown"):
        lines += [_pending_line(kn, rule, t) for rule in result.pending]
        if kind == "depends":
            lines += [t("qa.personal.met", text=text_, clause=clause) for text_, clause in limits]
        if "birth_date" in unsure and spec.reference_note:
            lines.append(t("qa.personal.age_edge", note=spec.reference_note))
        lines += _open_lines(spec, result.unread, t)
        lines += _unstated_limits(kn, spec, found, t)
    lines.append(_check_line(spec, t))
    lines = list(dict.fromkeys(lines))  # two open rules under one clause: its words once
    clauses = [r.clause for r in verdict.reasons] + [r.clause for r in result.pending]
    # A field the notice leaves open in so many words: its clause is the one quoted.
    clauses += [o.clause for o in spec.open_on if o.field in result.unread]
    clauses += [r.clause for r in result.checked]
    clause = clauses[0] if clauses else (spec.eligible_note.clause if spec.eligible_note else "")
    title = t(f"qa.personal.title.{kind}", facts=_said(found, spec, t))
    return Part(f"eligibility:{kind}", title, tuple(lines), clause)


def limit_lines(kn: Knowledge, t: Texts) -> list[str]:
    """The notice's limits no question states (年龄), each as "另外，…要求：…": for a question that
    the limit concerns without saying it (往届的可以报吗)."""
    spec = kn.campaign.eligibility
    return _unstated_limits(kn, spec, Stated(), t) if spec is not None else []


def _unstated_limits(kn: Knowledge, spec: EligibilitySpec, found: Stated, t: Texts) -> list[str]:
    """"22年专科毕业能报吗" states no age: the notice's limit on it, the condition most missed."""
    lines = []
    for rule in spec.rules:
        limited = set(rule.when) & LIMIT_FIELDS
        if limited and not limited & set(found.said) and (fact := _own_words(kn, rule)):
            name = next(iter(limited))
            lines.append(t("qa.personal.limit", label=_label(spec, name, t),
                           text=fact.text.rstrip("。"), clause=fact.clause))
    return lines


# The personal answer names this many of the conditions the rules read, as examples.
CHECK_EXAMPLES = 3


def _check_line(spec: EligibilitySpec, t: Texts) -> str:
    """其他条件（学历、专业、年龄等）请完整自查: the conditions named are those the campaign's
    rules read (a notice with no age rule is not said to have one)."""
    read = {name for rule in spec.rules for name in rule.when}
    order = [*FIELDS, *(q.id for q in spec.questions)]
    names = [_label(spec, name, t) for name in order if name in read][:CHECK_EXAMPLES]
    if not names:
        return t("qa.personal.check_plain")
    return t("qa.personal.check", fields="、".join(names))


def _label(spec: EligibilitySpec, name: str, t: Texts) -> str:
    silence, question = spec.silence(name), spec.question(name)
    if silence is not None and silence.label:
        return silence.label
    return question.label if question is not None else t(f"qa.personal.field.{name}")


def _open_lines(spec: EligibilitySpec, unread: tuple[str, ...], t: Texts) -> list[str]:
    """Stated fields no rule reads: in the notice's words where it leaves them open, "通知未对…
    作出规定" where the campaign declares it silent, else whom to ask (never "没有限制")."""
    lines = [t("qa.personal.open", text=o.text, clause=o.clause) for o in spec.open_on
             if o.field in unread]
    silent = [n for n in unread if spec.silence(n) is not None]
    unknown = [n for n in unread if spec.silence(n) is None and spec.left_open(n) is None]
    # An age left open: one wording wherever age is asked (content/qa.py says the same).
    age = spec.silence("birth_date")
    if "birth_date" in silent and age is not None and age.label is None:
        lines.append(t("qa.age.no_limit"))
        silent = [n for n in silent if n != "birth_date"]
    if silent:
        lines.append(t("qa.personal.silent",
                       fields="、".join(_label(spec, n, t) for n in silent)))
    if unknown:
        lines.append(t("qa.personal.unknown",
                       fields="、".join(_label(spec, n, t) for n in unknown)))
    return lines


def _basis(kn: Knowledge, text: str, t: Texts) -> list[str]:
    """What "可以报名" rests on: the notice's own words on whom it recruits."""
    who = kn.table.intents.get(WHO_INTENT)
    key = kn.facts.best_on_topic(normalise(text), who.topic) if who else None
    fact = kn.campaign.fact(key.removeprefix("fact:")) if key else None
    return [t("qa.personal.basis", text=fact.text, clause=fact.clause)] if fact else []


# A licence the asker says they lack (还没考执业助理) must not choose the clause on its holders.
_LICENCE_WORDS = ("执业助理医师", "执业医师", "执业助理", "资格证", "执业证")


def _without_lacked(text: str, found: Stated) -> str:
    if found.said.get("qualification") != "无":
        return text
    for word in _LICENCE_WORDS:
        text = text.replace(word, " ")
    return text


def _own_words(kn: Knowledge, rule: Rule) -> Fact | None:
    """The notice's own words for a rule: the fact under the rule's clause that is closest to
    the rule's message."""
    same = {f"fact:{f.id}": f for facts in kn.campaign.sections.values() for f in facts
            if f.clause == rule.clause}
    ranked = [key for key, _ in kn.facts.rank(normalise(rule.message), coverage=True)
              if key in same]
    return same[ranked[0]] if ranked else None


def _pending_line(kn: Knowledge, rule: Rule, t: Texts) -> str:
    """The notice's own words for a rule still open (or the fields it needs)."""
    fact = _own_words(kn, rule)
    if fact is not None:
        return t("qa.personal.pending", text=fact.text, clause=rule.clause)
    fields = "、".join(t(f"qa.personal.field.{n}") for n in rule.when)
    return t("qa.personal.pending_fields", fields=fields, clause=rule.clause)


def _said(found: Stated, spec: EligibilitySpec, t: Texts) -> str:
    parts = []
    for name in spec.order():
        value = found.said.get(name)
        question = spec.question(name)
        if value is None:
            continue
        if question is not None:  # 非全日制; a yes or no with what it answers
            parts.append(value if len(value) > 1
                         else t("qa.personal.said.own", label=question.label, value=value))
            continue
        special = _SAID.get((name, value))
        parts.append(t(f"qa.personal.said.{special}") if special
                     else t(f"qa.personal.said.{name}", value=value))
    return "、".join(parts)
