"""What a notice leaves out, said once and honestly (issue 13, "silence is data").

A campaign file leaves a fact out when the notice does not give it: no site, no phone, no list
of bases, no number of choices. Every renderer asks these helpers instead of printing the field,
so an absent value is never shown as "网址：" followed by nothing or "（）": it is either omitted
or said once ("通知未给出…"), and whom to ask is always someone the notice names.
Plain text: templates escape what they receive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from content.schema import Campaign, Contact, Registration
from content.texts import Texts, default_texts


def where_to_register(registration: Registration, texts: Texts | None = None) -> str:
    """湖北卫生人才网（https://www.hbwsrc.cn）, either half alone, the note, or the silence."""
    texts = texts or default_texts()
    channel, url = registration.channel, registration.url
    if channel and url:
        return texts("silence.channel_url", channel=channel, url=url)
    if channel or url:
        return channel or url or ""
    return registration.note or texts("silence.no_channel")


def phones_text(contact: Contact, texts: Texts | None = None) -> str:
    """The phones as printed, or what the notice says instead, or that it gives none."""
    if contact.phones:
        return "、".join(contact.phones)
    return contact.note or (texts or default_texts())("silence.no_phone")


def contact_names(contact: Contact) -> str:
    return contact.organisation + (f"（{contact.person}）" if contact.person else "")


def contact_line(contact: Contact, texts: Texts | None = None) -> str:
    """县卫健委科教股（王老师） 0712-1234567, or 县卫健委科教股（通知未给出电话）."""
    if contact.phones:
        return f"{contact_names(contact)} {phones_text(contact, texts)}"
    return f"{contact_names(contact)}（{phones_text(contact, texts)}）"


def no_contacts(campaign: Campaign, texts: Texts | None = None) -> str:
    """Whom to ask when the notice names no contact at all: its issuer, said to give no phone."""
    texts = texts or default_texts()
    issuer = campaign.notice.issuer
    if issuer:
        return texts("silence.ask_issuer", issuer=issuer)
    return texts("silence.ask_unknown")


def ask_line(campaign: Campaign, contacts: Iterable[Contact], texts: Texts | None = None,
             sep: str = "；") -> str:
    """One line naming whom to ask (never empty)."""
    lines = [contact_line(c, texts) for c in contacts]
    return sep.join(lines) if lines else no_contacts(campaign, texts)


def choices_known(campaign: Campaign) -> bool:
    return campaign.registration.max_choices is not None


def values_given(campaign: Campaign) -> dict[str, bool]:
    """Which template placeholders of campaign-written texts (FAQ answers, reminders) have a
    value: `{url}` in a text of a campaign without a URL would print nothing."""
    reg = campaign.registration
    return {"channel": bool(reg.channel), "url": bool(reg.url), "opens": bool(reg.window.opens),
            "closes": bool(reg.window.closes),
            "max_choices": reg.max_choices is not None,
            "total_quota": campaign.plan.total_quota is not None}


_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")
_FIX = {"channel": "registration.channel", "url": "registration.url",
        "opens": "registration.window.opens", "closes": "registration.window.closes",
        "max_choices": "registration.max_choices", "total_quota": "plan.total_quota"}


def silence_problems(campaign: Campaign) -> list[tuple[tuple[str | int, ...], str]]:
    """Campaign-written texts that would print a value the notice does not give (for
    check-content): each as (path in the file, Chinese message with the fix)."""
    given = values_given(campaign)
    texts = [(("faq", i, "answer"), entry.answer) for i, entry in enumerate(campaign.faq)]
    texts += [(("reminders", i, "text"), spec.text) for i, spec in enumerate(campaign.reminders)]
    found = []
    for loc, text in texts:
        for name in dict.fromkeys(_PLACEHOLDER.findall(text)):
            if given.get(name, True):
                continue
            found.append((loc, f"{loc[0]}[{loc[1]}].{loc[2]} 用了 {{{name}}}，但本文件没有 "
                               f"{_FIX[name]}（通知未给出）：删去 {{{name}}}，改写这句话"))
    return found
