"""The form's progress: which field comes next or before, and what an answer changes.

Answers are a JSON-ready dict with the Registration's column names. The ID number comes back in
clear under ``id_number`` from :func:`accept`; the caller encrypts it before keeping the dict
anywhere (the FSM data lives in a database or Redis).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from content.form_input import is_question, label_variants, match_choice
from content.idcard import birth_date_from_id
from content.masking import mask_id_number
from content.registration import (
    COMMON_MAJORS,
    EDUCATION,
    QUALIFICATION,
    Applicant,
    FieldError,
    form_fields,
    parse_graduation_year,
    parse_id_number,
    parse_major,
    parse_name,
    parse_phone,
    parse_school,
)
from content.registration_text import contacts_text
from content.schema import Campaign
from content.schema_eligibility import EDUCATION_ALIASES
from content.texts import default_texts

QUALIFIED_DOCTOR = QUALIFICATION["doctor"][0]  # 执业医师, as typed
CHOICE_FIELDS = frozenset({"education", "qualification", "person_type", "bases", "adjustment"})
_TYPED = {"name": parse_name, "phone": parse_phone, "school": parse_school, "major": parse_major}


@dataclass
class Accepted:
    """Answers to merge; ``stay`` asks the same field again (a further base choice)."""

    updates: dict[str, Any]
    stay: bool = False
    notes: list[str] = field(default_factory=list)


def next_field(campaign: Campaign, current: str | None) -> str | None:
    fields = form_fields(campaign)
    if current is None:
        return fields[0]
    index = fields.index(current) + 1
    return fields[index] if index < len(fields) else None


def previous_field(campaign: Campaign, current: str) -> str | None:
    fields = form_fields(campaign)
    index = fields.index(current)
    return fields[index - 1] if index > 0 else None


def is_complete(campaign: Campaign, answers: dict[str, Any]) -> bool:
    keys = {"id_number": "id_masked", "bases": "base_choices", "adjustment": "accepts_adjustment"}
    return all(answers.get(keys.get(f, f)) not in (None, "", []) for f in form_fields(campaign))


def _birth(answers: dict[str, Any]) -> date | None:
    return date.fromisoformat(answers["birth"]) if answers.get("birth") else None


def choice_labels(field_name: str, campaign: Campaign) -> dict[str, str]:
    """What an applicant may type for each value of a closed set: labels, names, aliases."""
    texts = default_texts()
    labels: dict[str, str] = {}
    if field_name == "education":
        for key, value in EDUCATION.items():
            labels |= {texts(f"registration.education.{key}"): key, value: key}
        labels |= {alias: key for alias, level in EDUCATION_ALIASES.items()
                   for key, value in EDUCATION.items() if value == level}
    elif field_name == "qualification":
        labels = {texts(f"registration.qualification.{key}"): key for key in QUALIFICATION}
        # 执业助理医师 alone stays ambiguous (with or without the 全科 scope): buttons decide.
        labels |= dict.fromkeys(texts("registration.qualification_none_words").split("|"),
                                "none")
        labels[QUALIFIED_DOCTOR] = "doctor"
    elif field_name == "person_type" and campaign.form is not None:
        labels = {p.label: p.id for p in campaign.form.person_types}
    elif field_name == "adjustment":
        labels = {texts("registration.button.adjust_yes"): "y", texts("registration.yes"): "y",
                  texts("registration.button.adjust_no"): "n", texts("registration.no"): "n"}
    elif field_name == "bases":
        for base in campaign.plan.bases:
            labels |= {name: base.id for name in (base.name, *base.aliases)}
            if base.quota is not None:
                labels[texts("registration.base_button", name=base.name, quota=base.quota)] = (
                    base.id)
        labels[texts("registration.button.no_more_bases")] = "-"
    return labels


def typed_choice(field_name: str, text: str, campaign: Campaign) -> str | None:
    """The value a typed answer names: a button's label, a part of it ("大专" of "专科（高职高专、
    大专）"), a name or alias, compared folded (content/form_input.py); None when none or two."""
    options: dict[str, list[str]] = {}
    for label, value in choice_labels(field_name, campaign).items():
        options.setdefault(value, []).extend(label_variants(label))
    return match_choice(text, options, contained=not is_question(text))


def accept_text(field_name: str, text: str, answers: dict[str, Any], campaign: Campaign, *,
                now: datetime) -> Accepted:
    """A typed answer; for a closed set, a button's label (or a known alias) typed out."""
    if field_name in CHOICE_FIELDS:
        value = typed_choice(field_name, text, campaign)
        if value is None:
            raise FieldError("registration.error.use_buttons")
        return accept_choice(field_name, value, answers, campaign)
    if field_name == "id_number":
        number = parse_id_number(text, now=now)
        return Accepted({"id_number": number, "id_masked": mask_id_number(number),
                         "birth": birth_date_from_id(number).isoformat()})
    if field_name == "graduation_year":
        year = parse_graduation_year(text, now=now, birth=_birth(answers))
        return Accepted({"graduation_year": year})
    if field_name == "major" and text.strip() in COMMON_MAJORS:
        return Accepted({"major": text.strip()})
    return Accepted({field_name: _TYPED[field_name](text)})


def accept_choice(field_name: str, value: str, answers: dict[str, Any],
                  campaign: Campaign) -> Accepted:
    """A button's answer; raises FieldError for a refused person type or a stale value."""
    if field_name == "education" and value in EDUCATION:
        return Accepted({"education": value})
    if field_name == "qualification" and value in QUALIFICATION:
        return Accepted({"qualification": value})
    if field_name == "major" and value.isdigit() and int(value) < len(COMMON_MAJORS):
        return Accepted({"major": COMMON_MAJORS[int(value)]})
    if field_name == "adjustment" and value in ("y", "n"):
        return Accepted({"accepts_adjustment": value == "y"})
    if field_name == "person_type" and campaign.form is not None:
        return _person_type(value, campaign)
    if field_name == "bases":
        return _base(value, list(answers.get("base_choices") or []), campaign)
    raise FieldError("registration.error.use_buttons")


def _person_type(value: str, campaign: Campaign) -> Accepted:
    assert campaign.form is not None
    person = campaign.form.person_type(value)
    if person is None:
        raise FieldError("registration.error.use_buttons")
    if not person.accepted:
        raise FieldError("registration.error.person_refused", message=person.message,
                         source=campaign.cite(person.clause),
                         contacts=contacts_text(campaign, default_texts()))
    notes = []
    if person.message:
        notes.append(default_texts()("registration.person_condition", message=person.message,
                                     source=campaign.cite(person.clause)))
    return Accepted({"person_type": person.id}, notes=notes)


def _base(value: str, chosen: list[str], campaign: Campaign) -> Accepted:
    if value == "-" and chosen:
        return Accepted({})
    if value in chosen:
        raise FieldError("registration.error.duplicate_base")
    if value not in {b.id for b in campaign.plan.bases}:
        raise FieldError("registration.error.use_buttons")
    chosen = [*chosen, value]
    # A notice silent on the number of choices lets one name every base of intent.
    most = campaign.registration.max_choices or len(campaign.plan.bases)
    return Accepted({"base_choices": chosen}, stay=len(chosen) < most)


# The form's fields a stored self-check can answer, in form order.
FROM_CHECK = ("education", "major", "qualification")


def answers_from_check(profile: dict[str, Any]) -> dict[str, Any]:
    """学历, 专业, 执业资格 from a self-check's profile, as the form keeps them.

    Only a run from the start of :data:`FROM_CHECK` is given: the form skips what it fills, so a
    field the check never asked (Fujian asks no 执业资格) is still asked in the form.
    """
    found: dict[str, Any] = {}
    education = {level: key for key, level in EDUCATION.items()}.get(profile.get("education"))
    if education is None:
        return found
    found["education"] = education
    try:
        found["major"] = parse_major(str(profile.get("major") or ""))
    except FieldError:
        return found
    level, gp_scope = profile.get("qualification"), profile.get("scope_includes_gp")
    for key, (name, scope) in QUALIFICATION.items():
        # 执业助理医师 needs the scope answer; the others match whatever it says.
        if name == level and (scope == gp_scope or name != "执业助理医师"):
            found["qualification"] = key
            break
    return found


def applicant_from(answers: dict[str, Any], id_number: str) -> Applicant:
    """The complete answers as an Applicant (the ID number decrypted by the caller)."""
    return Applicant(
        name=answers["name"], id_number=id_number, phone=answers["phone"],
        school=answers["school"], graduation_year=int(answers["graduation_year"]),
        education=answers["education"], major=answers["major"],
        qualification=answers["qualification"], person_type=answers["person_type"],
        base_choices=tuple(answers.get("base_choices") or ()),
        accepts_adjustment=answers.get("accepts_adjustment"),
    )


@dataclass(frozen=True)
class Judgement:
    """eligible | conditional | ineligible | unchecked (no rules), with plain-text reasons."""

    verdict: str
    reasons: list[str]


def judge(campaign: Campaign, applicant: Applicant, now: datetime,
          own: dict[str, Any] | None = None) -> Judgement:
    """The campaign's eligibility rules applied to the answers; each reason cites its clause.

    The form does not ask the campaign's own questions (content/schema_conditions.py): `own`
    gives the answers of the applicant's stored self-check. A rule that still needs one of them
    is not guessed: it makes the verdict conditional, with its question and clause."""
    from content.eligibility import evaluate, missing_fields
    from content.qa_personal import outcome
    from content.registration import profile_for

    # The template, formatted here without HTML escaping: reasons are stored as plain text.
    texts = default_texts()
    template = texts("registration.condition_item")
    spec = campaign.eligibility
    if spec is None:
        person = campaign.form.person_type(applicant.person_type) if campaign.form else None
        reasons = ([template.format(text=person.message,
                                    source=campaign.cite(person.clause))]
                   if person is not None and person.message else [])
        return Judgement("unchecked", reasons)
    answered = {k: str(v) for k, v in (own or {}).items()
                if (q := spec.question(k)) is not None and str(v) in q.values()}
    profile = profile_for(applicant, campaign).model_copy(update={"conditions": answered})
    if not missing_fields(spec, profile):
        verdict = evaluate(campaign, profile, now)
        return Judgement(verdict.verdict, [template.format(text=r.text, source=r.source)
                                           for r in verdict.reasons])
    found = outcome(campaign, profile, now)
    reasons = [template.format(text=r.text, source=r.source) for r in found.verdict.reasons]
    for rule in found.pending:
        asked = [q.text for name in rule.when if (q := spec.question(name)) is not None
                 and name not in answered]
        reasons.append(template.format(
            text=texts("registration.condition_open").format(questions="".join(asked)),
            source=campaign.cite(rule.clause)))
    name = found.verdict.verdict
    return Judgement("conditional" if name == "eligible" and found.pending else name, reasons)
