"""Eligibility texts for people: the questions, the answers given, and the verdict.

The chat and ``zhaolu eligibility`` render the same Verdict with the same texts (the terminal gets
the HTML stripped), so both say the same thing for the same profile.
"""

from __future__ import annotations

import html
import re

from content.dates import cn_date
from content.eligibility import Verdict
from content.schema import Campaign
from content.schema_eligibility import FIELDS, EligibilitySpec, Profile
from content.texts import Raw, Texts

_TAG = re.compile(r"</?[a-z][^>]*>")


def choice_label(texts: Texts, field: str, value: str | bool) -> str:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    key = f"eligibility.choice.{field}.{value}"
    return texts(key) if key in texts else str(value)


def field_label(texts: Texts, spec: EligibilitySpec | None, field: str) -> str:
    """学历, 专业 … for a common field; the campaign's own label for one of its questions."""
    question = spec.question(field) if spec is not None else None
    return question.label if question is not None else texts(f"eligibility.field.{field}")


def answers_text(texts: Texts, profile: Profile, spec: EligibilitySpec | None = None) -> str:
    """学历：专科；专业：临床医学；学习形式：非全日制 … (plain text; the order of the questions)."""
    given = profile.answers()
    parts = []
    for name in FIELDS:
        if name not in given:
            continue
        value = getattr(profile, name)
        shown = (cn_date(value) if name == "birth_date"
                 else value if name == "major" else choice_label(texts, name, value))
        parts.append(f"{texts(f'eligibility.field.{name}')}：{shown}")
    for name, value in profile.conditions.items():
        parts.append(f"{field_label(texts, spec, name)}：{value}")
    return "；".join(parts)


def question_text(texts: Texts, campaign: Campaign, field: str, step: int, total: int) -> str:
    spec = campaign.eligibility
    own = spec.question(field) if spec is not None else None
    asked = html.escape(own.text, quote=False) if own is not None \
        else texts(f"eligibility.q.{field}")
    lines = [texts("eligibility.step", step=step, total=total), asked]
    if field == "birth_date" and spec is not None and spec.reference_note:
        lines.append(texts("eligibility.q.birth_date_note", note=spec.reference_note))
    return "\n".join(lines)


def render_verdict(texts: Texts, campaign: Campaign, verdict: Verdict, profile: Profile) -> str:
    """The result as Telegram HTML: verdict, reasons with sources, notes, next steps."""
    lines = [texts("eligibility.result.title", name=campaign.name),
             texts(f"eligibility.verdict.{verdict.verdict}"),
             texts("eligibility.result.answers",
                   answers=answers_text(texts, profile, campaign.eligibility))]
    spec = campaign.eligibility
    if verdict.age is not None and spec is not None and spec.reference_date is not None:
        lines.append(texts("eligibility.result.age", date=cn_date(spec.reference_date),
                           age=verdict.age))
    if verdict.reasons:
        lines += ["", texts("eligibility.result.reasons")]
        for reason in verdict.reasons:
            lines.append(texts("eligibility.result.reason", text=reason.text))
            lines.append(texts("eligibility.result.source", source=reason.source))
    if verdict.notes:
        lines += ["", texts("eligibility.result.notes")]
        lines += [texts("eligibility.result.note", text=note) for note in verdict.notes]
    if verdict.next_steps:
        lines += ["", texts("eligibility.result.next")]
        lines += [texts("eligibility.result.step", text=step.text) for step in verdict.next_steps]
    lines += ["", texts("eligibility.result.disclaimer")]
    return "\n".join(lines)


def to_plain(text: str) -> str:
    """Telegram HTML as terminal text: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def missing_text(texts: Texts, fields: list[str], spec: EligibilitySpec | None = None) -> str:
    names = "、".join(f"{field_label(texts, spec, f)}（{f}）" for f in fields)
    return texts("eligibility.plain.missing", fields=Raw(names))
