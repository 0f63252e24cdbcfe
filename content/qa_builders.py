"""Answers written from a campaign's structured facts, one builder per answer key.

A key names what to say (``window``, ``fact:applicants_age``, ``quota:base:hanchuan`` …) and is
self-contained, so a button can carry it and the answer can be rebuilt later. Builders read
`now` for anything that depends on the date and return None when the campaign has nothing to
say for that key. ``covered=False`` marks a reply that only says the notice is silent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_shanghai
from content.dates import cn_date, cn_datetime, cn_span
from content.qa_knowledge import Knowledge
from content.schema import Campaign, Contact, Event, Fact, Registration, Window
from content.silence import no_contacts, phones_text, where_to_register
from content.texts import Raw, Texts, default_texts


@dataclass(frozen=True)
class Part:
    key: str
    title: str  # plain text: a heading once escaped, a button label as it is
    lines: tuple[str, ...]
    clause: str
    covered: bool = True
    # Plain text cited instead of the notice's clause (a staff answer: 工作人员答复（日期）).
    source: str = ""


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def moment(value: datetime) -> str:
    """A deadline as notices write it: the day alone when it is the end of the day."""
    value = to_shanghai(value)
    if (value.hour, value.minute) in ((23, 59), (0, 0)):
        return cn_date(value)
    return cn_datetime(value)


def _window(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part:
    reg = kn.campaign.registration
    return Part("window", t("qa.window.title"),
                (window_status(reg.window, now, t), _window_body(reg, t)), reg.window.clause)


def _window_body(reg: Registration, t: Texts) -> str:
    return t("qa.window.body", span=reg.window.span, where=where_to_register(reg, t))


def window_status(win: Window, now: datetime, t: Texts) -> str:
    """Before, open (with the days left: 还有3天, 明天截止) or closed, as of `now`."""
    phase = win.phase(now)
    if phase == "before" and win.opens is not None:
        return t("qa.window.before", opens=moment(win.opens))
    if win.closes is None:
        return t("qa.window.open_no_close")
    days = (to_shanghai(win.closes).date() - to_shanghai(now).date()).days
    left = (t("qa.window.left.today") if days <= 0 else t("qa.window.left.tomorrow") if days == 1
            else t("qa.window.left.days", n=days))
    return t(f"qa.window.{phase}", closes=moment(win.closes), left=left)


def _late(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part:
    """过了报名时间还能补报吗: where registration stands, and the notice's words on late entries
    (`arg`, a fact's key) or that it gives none."""
    win = kn.campaign.registration.window
    status = window_status(win, now, t)
    fact = render(kn, arg, now, t) if arg.startswith(("fact:", "faq:")) else None
    if fact is not None:
        return Part(f"late:{arg}", fact.title, (status, *fact.lines), fact.clause)
    return Part("late", t("qa.late.title"), (status, t("qa.late.silent")), win.clause,
                covered=False)


def _graduates(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    """往届的可以报吗: who may apply (`arg`, a fact's key), that the notice sets no graduation
    year when its words name none, and the limit a graduate of some years meets first (age)."""
    from content.qa_personal import limit_lines  # it builds on this module's Part

    fact = render(kn, arg, now, t) if arg.startswith(("fact:", "faq:")) else None
    if fact is None:
        return None
    lines = list(fact.lines)
    if not any(word in "".join(lines) for word in _GRADUATE_WORDS):
        lines.append(t("qa.graduates.open"))
    lines += limit_lines(kn, t)
    return Part(f"graduates:{arg}", fact.title, tuple(lines), fact.clause)


# Words by which a notice rules on when its applicants graduated.
_GRADUATE_WORDS = ("往届", "应届", "届毕业", "年毕业", "毕业年")


def _channel(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part:
    reg = kn.campaign.registration
    # A site named: registration is online there ("能去现场报名吗" is answered by 网上报名).
    body = t("qa.channel.body_online" if reg.online else "qa.channel.body",
             where=where_to_register(reg, t), span=reg.window.span)
    given = bool(reg.online or reg.note)
    return Part("channel", _where_title(reg, t), (body,), reg.clause, covered=given)


def _url(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part:
    """Asked for the address of a site the notice does not give: said plainly, with what the
    notice does say about where to register (the fallback adds whom to ask)."""
    reg = kn.campaign.registration
    lines = [t("qa.url.none")]
    if reg.channel or reg.note:
        lines.append(t("qa.url.where", where=where_to_register(reg, t)))
    lines.append(t("qa.url.window", span=reg.window.span))
    return Part("url", _where_title(reg, t), tuple(lines), reg.clause, covered=False)


def _where_title(reg: Registration, t: Texts) -> str:
    return t("qa.channel.title" if reg.online else "qa.channel.title_offline")


def _steps(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part:
    reg = kn.campaign.registration
    lines = tuple(t("qa.steps.item", n=i, step=s) for i, s in enumerate(reg.steps, 1))
    if not lines:
        return Part("steps", t("qa.steps.title"), (t("qa.steps.none"),), reg.clause,
                    covered=False)
    return Part("steps", t("qa.steps.title"), lines, reg.clause)


def _materials(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    materials = kn.campaign.registration.materials
    if not materials:
        return None
    lines = []
    for item in materials:
        details = [item.note] if item.note else [
            *([t("qa.materials.format", formats="/".join(item.formats))] if item.formats else []),
            *([t("qa.materials.size", kb=item.max_kb)] if item.max_kb else []),
        ]
        if not item.required and not item.note:
            details.append(t("qa.materials.optional"))
        detail = t("qa.materials.detail", text="，".join(details)) if details else ""
        lines.append(t("qa.materials.item", name=item.name, detail=Raw(detail)))
    return Part("materials", t("qa.materials.title"), tuple(lines), materials[0].clause)


def _choices(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part:
    reg = kn.campaign.registration
    if reg.max_choices is None:
        first = t("qa.choices.unknown")
    else:
        first = t("qa.choices.one") if reg.max_choices == 1 else t("qa.choices.many",
                                                                   n=reg.max_choices)
    lines = [first] + ([t("qa.choices.adjustment")] if reg.asks_adjustment else [])
    return Part("choices", t("qa.choices.title"), tuple(lines), reg.clause,
                covered=reg.max_choices is not None or reg.asks_adjustment)


def _bases(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part:
    plan = kn.campaign.plan
    if not plan.bases:
        return Part("bases", t("qa.bases.title"),
                    (esc(plan.where_published or t("silence.no_bases")),), plan.clause,
                    covered=bool(plan.where_published))
    lines = [t("qa.bases.count", n=len(plan.bases))]
    for base in plan.bases:
        key = "qa.bases.item" if base.quota is not None else "qa.bases.item_plain"
        lines.append(t(key, name=base.name, quota=base.quota))
    if plan.total_quota is not None:
        lines.append(t("qa.bases.total", total=plan.total_quota))
    return Part("bases", t("qa.bases.title"), tuple(lines), plan.clause)


def _quota(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    plan = kn.campaign.plan
    if arg.startswith("base:"):
        base = next((b for b in plan.bases if b.id == arg[5:]), None)
        if base is None:
            return None
        if base.quota is None:
            line = t("qa.quota.base_unknown", name=base.name)
            return Part(f"quota:{arg}", t("qa.quota.title"), (line,), base.clause, covered=False)
        line = t("qa.quota.base", name=base.name, quota=base.quota)
        return Part(f"quota:{arg}", t("qa.quota.title"), (line,), base.clause)
    if plan.total_quota is None and not any(b.quota is not None for b in plan.bases):
        lines = (t("qa.quota.unknown"), *([esc(plan.where_published)] if plan.where_published
                                          else []))
        return Part("quota", t("qa.quota.title"), lines, plan.clause, covered=False)
    bases = _bases(kn, "", now, t)
    return Part("quota", t("qa.quota.title"), bases.lines, plan.clause)


def contact_lines(contacts: list[Contact], t: Texts, note: str | None = None,
                  now: datetime | None = None) -> list[str]:
    """One line per contact, the hours (said to be over once they are, given `now`), then the
    campaign's phone note (an area code)."""
    from content.promises import hours_label

    lines = []
    for c in contacts:
        who = c.organisation + (f" {c.person}" if c.person else "")
        purpose = t("qa.contacts.purpose", purpose=c.purpose) if c.purpose else ""
        lines.append(t("qa.contacts.item", who=who, phones=phones_text(c, t)) + purpose)
    hours = list(dict.fromkeys(
        (hours_label(c, now, t) if now is not None else c.hours) for c in contacts if c.hours))
    lines += [t("qa.contacts.hours", hours=h) for h in hours]
    return lines + ([esc(note)] if note else [])


def named_contacts(campaign: Campaign, ref: str) -> list[Contact]:
    kind, _, ident = ref.partition(":")
    if kind == "pick":  # the contacts that fit a question (content/qa_contacts.py)
        ids = ident.split("+")
        return [c for c in campaign.contacts if c.id in ids]
    if kind == "base":
        base = next((b for b in campaign.plan.bases if b.id == ident), None)
        ids = base.contact_ids if base else []
        return [c for c in campaign.contacts if c.id in ids]
    named = campaign.contact(ident)
    return [c for c in campaign.contacts if named and c.organisation == named.organisation]


def _contacts(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    contacts = named_contacts(kn.campaign, arg) if arg else list(kn.campaign.contacts)
    if not contacts and not arg:  # the notice names no one: say so, and whom to ask
        return Part("contacts", t("qa.contacts.title"),
                    (t("qa.contacts.none", whom=no_contacts(kn.campaign, t)),), "",
                    covered=False)
    if not contacts:
        return None
    key = f"contacts:{arg}" if arg else "contacts"
    lines = contact_lines(contacts, t, kn.campaign.phone_note, now)
    if len(contacts) < len(kn.campaign.contacts):
        lines.append(t("qa.contacts.others"))
    return Part(key, t("qa.contacts.title"), tuple(lines),
                contacts[0].clause)


def _base(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    base = next((b for b in kn.campaign.plan.bases if b.id == arg), None)
    if base is None:
        return None
    lines = []
    if base.quota is not None:
        lines.append(t("qa.quota.base", name=base.name, quota=base.quota))
    lines += contact_lines(named_contacts(kn.campaign, f"base:{arg}"), t,
                           kn.campaign.phone_note, now)
    return Part(f"base:{arg}", base.name, tuple(lines), base.clause)


def event_status(event: Event, now: datetime, t: Texts) -> str:
    start, end = event.start, event.end
    if start and now < start:
        return t("qa.event.upcoming")
    if start and end:
        return t("qa.event.ongoing") if now <= end else t("qa.event.ended")
    if start:
        return t("qa.event.started")
    return t("qa.event.due") if end and now <= end else t("qa.event.passed")


def event_when(event: Event, t: Texts) -> str:
    if event.when:
        return event.when
    if event.start and event.end:
        return cn_span(event.start, event.end)
    if event.start:
        return t("qa.event.from", date=moment(event.start))
    return t("qa.event.until", date=moment(event.end)) if event.end else ""


def _event(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    event = kn.campaign.event(arg)
    if event is None:
        return None
    line = t("qa.event.line", title=event.title, when=event_when(event, t),
             status=Raw(event_status(event, now, t)))
    return Part(f"event:{arg}", event.title,
                (line, esc(event.text)), event.clause)


def _fact(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    fact = kn.campaign.fact(arg)
    if fact is None:
        return None
    if fact.refers_elsewhere:
        return Part(f"fact:{arg}", fact.title, (t("qa.refers_elsewhere"), esc(fact.text)),
                    fact.clause, covered=False)
    return Part(f"fact:{arg}", fact.title, (esc(fact.text),), fact.clause)


# A clause heading that lists whom a notice recruits and on what terms: 二、招生条件（一）,
# 一、招收对象（二）, 报名条件.
_CONDITIONS_HEADING = re.compile(r"(?:招生|招收|招录|报名|报考|申请)(?:对象|条件)|培训对象")


def condition_facts(campaign: Campaign) -> list[Fact]:
    """The facts written from the clause (and its sub-clauses) that lists whom the notice
    recruits, in the notice's order; none when no clause heading says so."""
    return [fact for facts in campaign.sections.values() for fact in facts
            if not fact.refers_elsewhere
            and _CONDITIONS_HEADING.search(fact.clause.split("（")[0])]


def _conditions(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    """"报名条件是啥" where the notice spreads them over a clause's sub-clauses (专业要求, 学历要求
    …) and no single fact says whom it recruits: each of them, with its title."""
    facts = condition_facts(kn.campaign)
    if not facts:
        return None
    heading = facts[0].clause.split("（")[0]
    lines = tuple(t("qa.conditions.line", title=esc(f.title), text=esc(f.text)) for f in facts)
    return Part("conditions", t("qa.conditions.title"), lines, heading)


def _faq(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    entry = next((e for e in kn.campaign.faq if e.id == arg), None)
    if entry is None:
        return None
    reg = kn.campaign.registration
    silent = t("silence.not_given")  # check-content refuses such placeholders: a last guard
    values = {"channel": reg.channel or silent, "url": reg.url or silent,
              "window": reg.window.span,
              "max_choices": silent if reg.max_choices is None else reg.max_choices,
              "total_quota": silent if kn.campaign.plan.total_quota is None
              else kn.campaign.plan.total_quota}
    text = entry.answer.format_map(_Missing(values)) if "{" in entry.answer else entry.answer
    return Part(f"faq:{arg}", entry.questions[0], (esc(text),), entry.clause)


STAFF_TITLE = 80


def _staff(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    """An FAQ entry staff saved in the chat (storage/faq_overlay.py)."""
    entry = kn.staff.get(int(arg)) if arg.isdigit() else None
    if entry is None:
        return None
    lines = tuple(esc(line) for line in entry.answer.splitlines() if line.strip())
    title = entry.phrasings[0]
    title = title if len(title) <= STAFF_TITLE else title[:STAFF_TITLE - 1] + "…"
    return Part(f"staff:{arg}", title, lines or (esc(entry.answer),), "",
                source=t("faq.citation", date=cn_date(entry.created_at)))


def _notice(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part:
    notice = kn.campaign.notice
    by = t("qa.notice.by", issuer=notice.issuer) if notice.issuer else ""
    on = t("qa.notice.on", date=cn_date(notice.published)) if notice.published else ""
    # An untitled notice is cited by its issuer and year: said once, that it has no title.
    titled = "body" if notice.title else "untitled"
    lines = [t(f"qa.notice.{titled}", citation=kn.campaign.citation, by=Raw(by), on=Raw(on))
             if by or on else t(f"qa.notice.{titled}_bare", citation=kn.campaign.citation)]
    if notice.document_number:
        lines.append(t("qa.notice.number", number=notice.document_number))
    lines += [t("qa.notice.basis", basis=b) for b in notice.basis]
    return Part("notice", t("qa.notice.title"), tuple(lines), "")


# Intents whose own silent wording says the notice sets no limit, and the profile field it is on.
_LIMITS = {"age": "birth_date"}
# The profile field an intent asks about: a notice that leaves it open in so many words (未取得者可
# 不提交) answers with them (eligibility.open_on).
_FIELD_OF = {**_LIMITS, "assistant_licence": "qualification"}


def _silent(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    intent = kn.table.intents.get(arg)
    if intent is None:
        return None
    # An intent may have its own wording (qa.silent.age: 通知未规定年龄上限); one that says the
    # notice sets no limit is not said while an eligibility rule reads the field it limits.
    own = f"qa.silent.{arg}"
    spec = kn.campaign.eligibility
    left_open = spec.left_open(_FIELD_OF[arg]) if spec is not None and arg in _FIELD_OF else None
    if left_open is not None:
        return Part(f"open:{arg}", intent.title, (left_open.text,), left_open.clause)
    ruled = spec is not None and _LIMITS.get(arg) in spec.fields()
    own_line = own in t and not ruled
    # (a topic that is itself an arrangement, 就业安排, is not "就业安排方面的安排")
    plain = "qa.silent.named" if intent.title.endswith("安排") else "qa.silent"
    lines = [t(own) if own_line else t(plain, topic=intent.title)]
    rest = kn.catch_all
    if rest is not None and not own_line:
        # "培训完有服务期吗": silent on it, the notice still says what governs what it leaves
        # out (其他未尽事宜，按照…培训协议执行).
        lines.append(t("qa.silent.catch_all", text=rest.text, clause=rest.clause))
    clause = kn.campaign.contacts[0].clause if kn.campaign.contacts else ""
    return Part(f"silent:{arg}", intent.title, tuple(lines), clause, covered=False)


def _undated(kn: Knowledge, arg: str, now: datetime, t: Texts) -> Part | None:
    """A date asked for (什么时候出录取结果) where the answer on the topic (a clause, or an answer
    the campaign wrote for applicants) gives none: said, and that answer as what the notice does
    say. `arg` is INTENT:KEY."""
    ident, _, key = arg.partition(":")
    intent = kn.table.intents.get(ident)
    inner = render(kn, key, now, t) if key.partition(":")[0] in ("fact", "faq") else None
    if intent is None or inner is None:
        return None
    return Part(f"undated:{arg}", intent.title, (t("qa.undated", topic=intent.title),
                                                 *inner.lines), inner.clause, covered=False)


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


Builder = Callable[[Knowledge, str, datetime, Texts], "Part | None"]
BUILDERS: dict[str, Builder] = {
    "window": _window, "channel": _channel, "url": _url, "steps": _steps, "materials": _materials,
    "late": _late, "graduates": _graduates, "choices": _choices, "bases": _bases, "quota": _quota,
    "contacts": _contacts,
    "base": _base, "event": _event, "fact": _fact, "faq": _faq, "notice": _notice,
    "silent": _silent, "staff": _staff, "undated": _undated, "conditions": _conditions,
}


def render(kn: Knowledge, key: str, now: datetime, texts: Texts | None = None) -> Part | None:
    """The reply for an answer key, or None when the key means nothing in this campaign."""
    name, _, arg = key.partition(":")
    builder = BUILDERS.get(name)
    return builder(kn, arg, to_shanghai(now), texts or default_texts()) if builder else None
