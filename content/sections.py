"""One menu section of a notice as a Telegram HTML message.

Each section shows its facts, each citing its clause; `plan`, `registration` and `contacts` also
show the structured parts of the campaign (bases with quotas, the window and steps, the contact
list), which is where those figures live. Content text is escaped here; the templates in
content/texts/content.yaml are trusted HTML.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from content.dates import cn_datetime, cn_deadline, cn_when
from content.promises import hours_label
from content.schema import SECTION_KEYS, Campaign, Contact, Fact, MaterialRule
from content.silence import ask_line, phones_text, where_to_register
from content.texts import Raw, Texts, default_texts

TELEGRAM_LIMIT = 4096


# Sections built from the campaign's structure: they always have something to say (the plan or
# that the notice lists no bases; the window; whom to ask), so they are always in the menu.
STRUCTURED = ("plan", "registration", "contacts")


def has_section(campaign: Campaign, key: str) -> bool:
    return key in STRUCTURED or key in campaign.sections


def menu_sections(campaign: Campaign) -> list[str]:
    """The applicant menu's section keys: the usual ones first, then the campaign's own; a
    section the notice says nothing about (no facts) is left out, and so are those addressed
    to institutions (工作要求, issue 12 §3)."""
    keys = [*SECTION_KEYS, *(k for k in campaign.sections if k not in SECTION_KEYS)]
    return [k for k in keys if k not in campaign.institution_sections
            and (k in STRUCTURED or campaign.sections.get(k))]


def section_title(campaign: Campaign, key: str, texts: Texts | None = None) -> str:
    """The menu label of a section: the text catalogue's, else the campaign's own, else the key."""
    texts = texts or default_texts()
    if f"content.section.{key}" in texts:
        return texts(f"content.section.{key}")
    return campaign.section_titles.get(key, key)


def render_section(
    campaign: Campaign, key: str, now: datetime, texts: Texts | None = None
) -> str:
    """The HTML of section `key` (≤ 4096 characters: whole blocks are dropped past the limit)."""
    texts = texts or default_texts()
    heading = texts("content.heading", label=section_title(campaign, key, texts),
                    name=campaign.name)
    blocks = [*_structured(campaign, key, now, texts)]
    blocks += [_over_hours(campaign, now, texts, _fact(fact, texts))
               for fact in campaign.sections.get(key, [])]
    if not blocks:
        blocks.append(texts("content.empty"))
    footer = _source(campaign, texts)
    return _fit([heading, *blocks], footer, texts("content.truncated"))


def _fit(blocks: list[str], footer: str, truncated: str) -> str:
    """Join blocks with blank lines, keeping whole blocks while the message stays in the limit."""
    budget = TELEGRAM_LIMIT - len(footer) - len(truncated) - 4
    kept: list[str] = []
    used = 0
    for block in blocks:
        if used + len(block) + 2 > budget:
            kept.append(truncated)
            break
        kept.append(block)
        used += len(block) + 2
    return "\n\n".join([*kept, footer])


def _over_hours(campaign: Campaign, now: datetime, texts: Texts, block: str) -> str:
    """A fact quoting contact hours that are over says so (the notice's text, marked)."""
    done: set[str] = set()
    for contact in campaign.contacts:
        label = hours_label(contact, now, texts)
        if contact.hours and label != contact.hours and contact.hours not in done:
            done.add(contact.hours)  # two contacts share the hours: mark them once
            block = block.replace(escape(contact.hours, quote=False), escape(label, quote=False))
    return block


def _fact(fact: Fact, texts: Texts) -> str:
    return texts("content.fact", title=fact.title, text=fact.text, clause=fact.clause)


def _source(campaign: Campaign, texts: Texts) -> str:
    number = campaign.notice.document_number
    if number:
        return texts("content.source_numbered", citation=campaign.citation, number=number)
    return texts("content.source", citation=campaign.citation)


def _structured(campaign: Campaign, key: str, now: datetime, texts: Texts) -> list[str]:
    if key == "plan":
        return [_plan(campaign, texts)]
    if key == "registration":
        return _registration(campaign, now, texts)
    if key == "contacts":
        note = [escape(campaign.phone_note, quote=False)] if campaign.phone_note else []
        if not campaign.contacts:  # the notice names no one: say whom to ask, once
            return [texts("content.contact.none", whom=ask_line(campaign, [], texts))]
        return [*(_contact(contact, texts, now) for contact in campaign.contacts), *note]
    return []


def _plan(campaign: Campaign, texts: Texts) -> str:
    plan = campaign.plan
    if not plan.bases:
        text = plan.where_published or texts("silence.no_bases")
        lines = [texts("content.plan.where", text=text)]
        return "\n".join([*lines, texts("content.cite", clause=plan.clause)])
    lines = [texts("content.plan.bases")]
    for index, base in enumerate(plan.bases, 1):
        if base.quota is None:
            lines.append(texts("content.plan.base_no_quota", index=index, name=base.name))
        else:
            lines.append(texts("content.plan.base", index=index, name=base.name,
                               quota=base.quota))
        for contact_id in base.contact_ids:
            contact = campaign.contact(contact_id)
            if contact is not None and (contact.phones or contact.person or contact.note):
                lines.append(f"   {_person_phones(contact, texts)}")
    if plan.total_quota is not None:
        lines.append(texts("content.plan.total", total=plan.total_quota))
    lines.append(texts("content.cite", clause=plan.clause))
    return "\n".join(lines)


def _person_phones(contact: Contact, texts: Texts) -> str:
    who = f"{contact.person}：" if contact.person else ""
    return escape(f"{who}{phones_text(contact, texts)}", quote=False)


def _registration(campaign: Campaign, now: datetime, texts: Texts) -> list[str]:
    reg = campaign.registration
    window = reg.window
    phase = window.phase(now)
    status = (texts("content.registration.before", opens=cn_datetime(window.opens))
              if phase == "before" and window.opens is not None
              else texts(f"content.registration.{phase}", closes=cn_deadline(window.closes))
              if window.closes is not None else texts("content.registration.open_no_close"))
    head = [
        texts("content.registration.window", span=window.span),
        status,
        texts("content.registration.channel", where=where_to_register(reg, texts)),
        texts("content.cite", clause=window.clause),
    ]
    blocks = ["\n".join(head), *_steps(campaign, texts)]
    if reg.materials:
        lines = [texts("content.registration.materials")]
        lines += [_material(rule, texts) for rule in reg.materials]
        lines.append(texts("content.cite", clause=reg.materials[0].clause))
        blocks.append("\n".join(lines))
    if campaign.events:
        lines = [texts("content.registration.events")]
        lines += [texts("content.registration.event", title=e.title,
                        when=e.when or cn_when(e.start, e.end)) for e in campaign.events]
        blocks.append("\n".join(lines))
    return blocks


def _steps(campaign: Campaign, texts: Texts) -> list[str]:
    """The steps, the number of choices and the 调剂 question: each only when the notice says."""
    reg = campaign.registration
    lines = [texts("content.registration.steps")] if reg.steps else []
    lines += [texts("content.registration.step", index=i, text=step)
              for i, step in enumerate(reg.steps, 1)]
    if reg.max_choices is not None and reg.max_choices > 1:
        lines.append(texts("content.registration.choices", count=reg.max_choices))
    elif reg.max_choices == 1:
        lines.append(texts("content.registration.choice_one"))
    if reg.asks_adjustment:
        lines.append(texts("content.registration.adjustment"))
    if not lines:
        return []
    lines.append(texts("content.cite", clause=reg.clause))
    return ["\n".join(lines)]


def _material(rule: MaterialRule, texts: Texts) -> str:
    parts = []
    if rule.formats:
        parts.append(texts("content.registration.material_format", formats="/".join(rule.formats)))
    if rule.max_kb:
        parts.append(texts("content.registration.material_size", max_kb=rule.max_kb))
    key = "required" if rule.required else "optional"
    return texts(f"content.registration.material_{key}", name=rule.name,
                 detail=rule.note or "，".join(parts))


def _contact(contact: Contact, texts: Texts, now: datetime) -> str:
    who: str = contact.organisation
    if contact.person:
        # The template escapes its values: the result is HTML already.
        who = Raw(texts("content.contact.person", organisation=contact.organisation,
                        person=contact.person))
    key = "content.contact.block" if contact.purpose else "content.contact.block_plain"
    phones = "，".join(contact.phones) if contact.phones else phones_text(contact, texts)
    lines = [texts(key, who=who, purpose=contact.purpose, phones=phones)]
    hours = hours_label(contact, now, texts)
    if hours:
        lines.append(texts("content.contact.hours", hours=hours))
    lines.append(texts("content.cite", clause=contact.clause))
    return "\n".join(lines)
