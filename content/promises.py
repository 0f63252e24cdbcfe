"""What the bot may promise an applicant, read from the campaign's data (issue 12 §2).

A fixed text that says "we will remind you before X" is only sent when a reminder for X, dated in
the campaign file, is still to come for the people reading it; the texts ask these functions
instead of assuming every campaign has the same events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from content.reminders import plan
from content.schema import Campaign, Contact
from content.silence import no_contacts, phones_text
from content.texts import Texts, default_texts

# Who reads what: a fresh subscriber, a pre-registered applicant, an admitted one.
NEWCOMER = frozenset({"all_subscribers", "subscribers_not_preregistered"})
PREREGISTERED = frozenset({"all_subscribers", "preregistered", "not_officially_registered"})
ADMITTED = frozenset({"all_subscribers", "preregistered", "officially_registered", "admitted"})


def upcoming_titles(campaign: Campaign, now: datetime, audiences: Iterable[str] | None = None,
                    texts: Texts | None = None) -> list[str]:
    """The events a reminder still goes out for (after `now`, to any of `audiences`), in order."""
    wanted = None if audiences is None else set(audiences)
    titles: list[str] = []
    for occurrence in plan(campaign, texts)[0]:
        if occurrence.due <= now or now >= occurrence.deadline:
            continue
        if wanted is not None and not wanted & set(occurrence.reminder.audience):
            continue
        if occurrence.event.title not in titles:
            titles.append(occurrence.event.title)
    return titles


def reminds(campaign: Campaign, now: datetime, event_ref: str, audiences: Iterable[str],
            texts: Texts | None = None) -> bool:
    """Whether a reminder of `event_ref` (an events id or registration.closes) is still to come."""
    wanted = set(audiences)
    return any(o.due > now and now < o.deadline and o.event.ref.split(".")[0] ==
               event_ref.split(".")[0] and (o.event.ref == event_ref or "." not in event_ref)
               and wanted & set(o.reminder.audience) for o in plan(campaign, texts)[0])


def titles_text(titles: list[str]) -> str:
    return "、".join(titles)


def whom_to_ask(campaign: Campaign, base_ids: Iterable[str] = ()) -> list[Contact]:
    """The chosen bases' contacts, else the form's contacts, else the notice's first one (none
    when the notice names no contact: content.silence.ask_line then names its issuer)."""
    chosen = set(base_ids)
    ids = [cid for base in campaign.plan.bases if base.id in chosen for cid in base.contact_ids]
    if not ids and campaign.form is not None:
        ids = list(campaign.form.contact_ids)
    return [c for c in campaign.contacts if c.id in ids] or campaign.contacts[:1]


def contacts_line(contacts: list[Contact], texts: Texts | None = None,
                  campaign: Campaign | None = None) -> str:
    """Whom to ask, one line; with `campaign`, never empty (its issuer when no contact)."""
    texts = texts or default_texts()
    if not contacts and campaign is not None:
        return no_contacts(campaign, texts)
    return "；".join(texts("promise.contact" if c.phones else "promise.contact_silent",
                          organisation=c.organisation,
                          person=f"（{c.person}）" if c.person else "",
                          phones=phones_text(c, texts)) for c in contacts)


def hours_label(contact: Contact, now: datetime, texts: Texts | None = None) -> str | None:
    """The contact's hours as the notice gives them, said to be over once they are (plain text)."""
    if not contact.hours:
        return None
    texts = texts or default_texts()
    if contact.hours_over(now):
        return texts("promise.hours_over", hours=contact.hours)
    return contact.hours
