"""What the pre-registration shows: the summary of answers (masked), the official next steps of a
notice, the contacts to call. Answers are a mapping with the Registration's column names
(``id_masked`` for the ID number), so the form in progress and a stored row render alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from content.masking import mask_phone
from content.registration import form_fields
from content.schema import Campaign, MaterialRule
from content.silence import no_contacts, phones_text, where_to_register
from content.texts import Raw, Texts

# Field -> the answers key it reads.
_KEYS = {"id_number": "id_masked", "bases": "base_choices", "adjustment": "accepts_adjustment"}


def window_text(campaign: Campaign) -> str:
    return campaign.registration.window.span


def contacts_text(campaign: Campaign, texts: Texts) -> str:
    """Whom to ask about the pre-registration (never empty: the issuer when no contact)."""
    ids = campaign.form.contact_ids if campaign.form else [c.id for c in campaign.contacts]
    parts = []
    for contact in filter(None, map(campaign.contact, ids or [c.id for c in campaign.contacts])):
        person = f"（{contact.person}）" if contact.person else ""
        key = "registration.contact" if contact.phones else "registration.contact_silent"
        parts.append(texts(key, organisation=contact.organisation,
                           person=person, phones=phones_text(contact, texts)))
    return "；".join(parts) or no_contacts(campaign, texts)


def field_value(field: str, answers: Mapping[str, Any], campaign: Campaign, texts: Texts) -> str:
    """The display text of one answer (plain text: the caller escapes it)."""
    value = answers.get(_KEYS.get(field, field))
    if value is None or value == [] or value == "":
        return texts("registration.none_chosen")
    if field == "phone":
        return mask_phone(str(value))
    if field in ("education", "qualification"):
        return texts(f"registration.{field}.{value}")
    if field == "person_type" and campaign.form is not None:
        person = campaign.form.person_type(str(value))
        return person.label if person else str(value)
    if field == "bases":
        names = {b.id: b.name for b in campaign.plan.bases}
        return "、".join(names.get(b, b) for b in value)
    if field == "adjustment":
        return texts("registration.yes" if value else "registration.no")
    return str(value)


def summary_lines(answers: Mapping[str, Any], campaign: Campaign, texts: Texts) -> str:
    return "\n".join(
        texts("registration.summary_line", label=texts(f"registration.field.{field}"),
              value=field_value(field, answers, campaign, texts))
        for field in form_fields(campaign)
    )


def prefill_items(found: Mapping[str, Any], campaign: Campaign, texts: Texts) -> Raw:
    """学历 专科、专业 临床医学 …: the answers a stored self-check gives (HTML)."""
    return Raw("、".join(texts("registration.prefill_item", label=texts(f"registration.field.{f}"),
                               value=field_value(f, found, campaign, texts)) for f in found))


def prefill_text(found: Mapping[str, Any], campaign: Campaign, texts: Texts) -> str:
    """The offer to fill 学历, 专业 … from the stored self-check."""
    return texts("registration.prefill_offer", items=prefill_items(found, campaign, texts),
                 count=len(found))


def material_rule_text(rule: MaterialRule, texts: Texts) -> str:
    formats = "/".join(rule.formats)
    if rule.max_kb is not None:
        return texts("registration.material_rule", formats=formats, max_kb=rule.max_kb)
    if rule.formats:
        return texts("registration.material_rule_formats", formats=formats)
    return rule.note or ""


def _materials_block(campaign: Campaign, texts: Texts) -> str:
    rules = campaign.registration.materials
    if not rules:
        return ""
    lines = [texts("registration.materials_title")]
    for rule in rules:
        optional = "" if rule.required else texts("registration.material_optional")
        lines.append(texts("registration.material_line", name=rule.name,
                           optional=Raw(optional), rule=material_rule_text(rule, texts)))
    return "\n" + "\n".join(lines)


def _notes_block(campaign: Campaign, texts: Texts) -> str:
    notes = campaign.form.next_steps_notes if campaign.form else []
    if not notes:
        return ""
    lines = [texts("registration.notes_title")]
    lines += [texts("registration.note_line", note=note) for note in notes]
    return "\n" + "\n".join(lines)


def next_steps(campaign: Campaign, texts: Texts) -> str:
    """The official registration: site, window, steps, material rules and warnings, cited."""
    registration = campaign.registration
    steps = "\n".join(texts("registration.step_line", n=i, step=step)
                      for i, step in enumerate(registration.steps, start=1))
    site = registration.online
    if site or registration.note:
        where = texts("registration.where" if site else "registration.where_note",
                      where=where_to_register(registration, texts))
    else:
        where = texts("registration.where_none", whom=contacts_text(campaign, texts))
    return texts(
        "registration.next_steps", where=Raw(where), official=official(campaign),
        go=texts("registration.go_site" if site else "registration.go_notice"),
        step=registration.step_name,
        window=window_text(campaign), steps=steps,
        materials=Raw(_materials_block(campaign, texts)), notes=Raw(_notes_block(campaign, texts)),
        source=campaign.cite(registration.clause),
    )


def by_channel(key: str, campaign: Campaign | None, texts: Texts) -> str:
    """The text key for this campaign: its ``_offline`` variant, without 官网, when the notice
    names no site to register on (on paper, at an office, or not said) and one is written."""
    offline = campaign is not None and not campaign.registration.online
    return f"{key}_offline" if offline and f"{key}_offline" in texts else key


def status_text(status: str, campaign: Campaign | None, texts: Texts) -> str:
    """已官网报名, or 已正式报名 for a campaign whose registration is not on a site."""
    return texts(by_channel(f"registration.status.{status}", campaign, texts))


def official(campaign: Campaign) -> str:
    """官网 when the notice names a site to register on, else nothing (报名 at an office)."""
    return "官网" if campaign.registration.online else ""


def receipt_text(receipt_no: str, answers: Mapping[str, Any], conditions: list[str],
                 campaign: Campaign, texts: Texts, *, updated: bool = False) -> str:
    items = "\n".join(f"• {c}" for c in conditions)
    block = texts("registration.conditions", items=items) if conditions else ""
    return texts(
        "registration.receipt",
        header=Raw(texts("registration.updated" if updated else "registration.created",
                         receipt=receipt_no)),
        lines=Raw(summary_lines(answers, campaign, texts)), conditions=Raw(block),
        next_steps=Raw(next_steps(campaign, texts)),
    )


def _options(campaign: Campaign, field: str, answers: Mapping[str, Any], texts: Texts) -> str:
    if field == "person_type" and campaign.form is not None:
        return "\n".join(texts("registration.person_option", label=p.label,
                               description=p.description) for p in campaign.form.person_types)
    chosen = set(answers.get("base_choices") or [])
    return "\n".join(
        texts("registration.base_option", name=b.name, quota=b.quota) if b.quota is not None
        else texts("registration.base_option_no_quota", name=b.name)
        for b in campaign.plan.bases if b.id not in chosen)


def question_text(field: str, campaign: Campaign, answers: Mapping[str, Any], texts: Texts,
                  year: int) -> str:
    """The question of one step, with its progress and what the notice says about it."""
    fields = form_fields(campaign)
    progress = texts("registration.progress", n=fields.index(field) + 1, total=len(fields))
    if field == "graduation_year":
        question = texts("registration.ask.graduation_year", year=year)
    elif field == "person_type":
        question = texts("registration.ask.person_type",
                         options=Raw(_options(campaign, field, answers, texts)))
    elif field == "bases":
        chosen = answers.get("base_choices") or []
        most = campaign.registration.max_choices
        question = texts("registration.ask.bases", n=len(chosen) + 1,
                         max=Raw(texts("registration.ask.bases_max", max=most) if most else ""),
                         options=Raw(_options(campaign, field, answers, texts)),
                         source=campaign.cite(campaign.plan.clause))
        if chosen:
            question += "\n" + texts("registration.ask.bases_more")
    elif field == "adjustment":
        form = campaign.form
        note = form.adjustment_note if form is not None else None
        question = texts("registration.ask.adjustment", note=note or "")
        if form is not None and form.base_choice == "none":
            most = campaign.registration.max_choices
            plan = texts("registration.plan_none",
                         plan=form.plan_text(campaign) or texts("silence.no_bases"),
                         max=Raw(texts(by_channel("registration.plan_none_max", campaign, texts),
                                       max=most) if most else ""))
            question = f"{plan}\n{question}"
    elif field == "major":
        question = texts("registration.ask.major") + "\n" + texts("registration.major_hint")
    elif field == "school":
        # The example comes from the campaign's region, or none is named (issue 12 §2).
        example = campaign.form.example_school if campaign.form is not None else None
        question = (texts("registration.ask.school", example=example) if example
                    else texts("registration.ask.school_plain"))
    else:
        question = texts(by_channel(f"registration.ask.{field}", campaign, texts))
    return f"{progress}{question}"


def summary_text(answers: Mapping[str, Any], campaign: Campaign, texts: Texts) -> str:
    return texts("registration.summary", lines=Raw(summary_lines(answers, campaign, texts)))
