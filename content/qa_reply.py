"""A Q&A reply put together: the answer's lines, the source line, the contacts when unsure, all
within MAX_CHARS visible characters (content/qa.py decides which answer)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from content.qa_builders import Part, contact_lines, esc
from content.qa_contacts import chosen
from content.qa_knowledge import Knowledge
from content.silence import no_contacts
from content.texts import Texts

MAX_CHARS = 600
# A staff answer (the FAQ overlay) is shown whole: staff wrote it for exactly this question.
STAFF_MAX_CHARS = 4000

ANSWERED, AMBIGUOUS, FALLBACK = "answered", "ambiguous", "fallback"
# Small talk, English: a short reply, shown with the menu (handlers/qa.py).
CHAT = "chat"


@dataclass(frozen=True)
class Answer:
    text: str  # Telegram HTML, at most MAX_CHARS visible characters, ends with the source
    source: str  # 《notice title》clause
    entry: str | None  # the answer key; None when nothing matched
    score: float
    kind: str  # answered | ambiguous | fallback
    # Close answers, the one in `text` first: (button label, answer key).
    alternatives: tuple[tuple[str, str], ...] = ()

    @property
    def unanswered(self) -> bool:
        """Worth logging for the content authors: a real question the notice did not answer."""
        return self.kind == FALLBACK and not (self.entry or "").startswith("input:")


def cited(kn: Knowledge, part: Part, t: Texts) -> tuple[str, str]:
    """(the source as data, the source line): the notice's clause, or a staff answer's date."""
    if part.source:
        return part.source, t("faq.source", citation=part.source)
    source = kn.campaign.cite(part.clause)
    return source, t("qa.source", source=source)


def compose(kn: Knowledge, part: Part, score: float, t: Texts) -> Answer:
    source, line = cited(kn, part, t)
    head = [t("qa.title", title=part.title)]
    text = fit(head, list(part.lines), line, t, limit=_limit(part))
    return Answer(text, source, part.key, round(min(score, 1.0), 3), ANSWERED)


def _limit(part: Part) -> int:
    return STAFF_MAX_CHARS if part.source else MAX_CHARS


def fallback(kn: Knowledge, part: Part | None, score: float, t: Texts,
              lead: str | None = None, question: str = "", now: datetime | None = None,
              kind: str = FALLBACK) -> Answer:
    """`question` (normalised) chooses the two or three contacts shown (content/qa_contacts.py).
    `kind` ANSWERED: a sure answer that still says whom to ask (its clause leaves a point open)."""
    campaign = kn.campaign
    contacts = chosen(campaign, question)
    if lead is not None or part is None:
        lead = lead or esc(campaign.consultation_note or "") or t("qa.fallback.lead")
    head = [lead] if part is None else ([lead, t("qa.title", title=part.title)]
                                        if lead else [t("qa.title", title=part.title)])
    body = list(part.lines) if part else []
    if part is None or not part.key.startswith("contacts"):  # a list of contacts has them
        body += [t("qa.fallback.contacts"),
                 *(contact_lines(contacts, t, campaign.phone_note, now) if contacts
                   else [esc(no_contacts(campaign, t))])]
        if len(contacts) < len(campaign.contacts):
            body.append(t("qa.contacts.others"))
    clause = part.clause if part else (campaign.contacts[0].clause if campaign.contacts else "")
    source, source_line = (cited(kn, part, t) if part and part.source else
                           (campaign.cite(clause), t("qa.source", source=campaign.cite(clause))))
    text = fit(head, body, source_line, t, limit=_limit(part) if part else MAX_CHARS)
    return Answer(text, source, part.key if part else None, round(min(score, 1.0), 3), kind)


def ambiguous(kn: Knowledge, parts: list[Part], score: float, t: Texts) -> Answer:
    """The best answer at once, and the close one named, to be had with a tap."""
    best, *others = parts
    also = t("qa.ambiguous.also", labels="、".join(p.title for p in others))
    source, line = cited(kn, best, t)
    text = fit([t("qa.title", title=best.title)], list(best.lines), line, t,
               limit=_limit(best) - visible_length(also) - 1)
    alternatives = tuple((p.title[:30], p.key) for p in parts)
    return Answer(f"{text}\n{also}", source, best.key, round(min(score, 1.0), 3), AMBIGUOUS,
                  alternatives)


def visible_length(text: str) -> int:
    return len(html.unescape(re.sub(r"<[^>]+>", "", text)))


def fit(head: list[str], body: list[str], source: str, t: Texts,
        limit: int = MAX_CHARS) -> str:
    """Head, body and source line in at most `limit` visible characters: trailing body lines
    go first (marked …); a single line too long is cut."""
    lines = list(body)
    while True:
        text = "\n".join([*head, *lines, source])
        if visible_length(text) <= limit or not lines:
            return text
        if len(lines) > 1:
            lines = [*lines[:-2], t("qa.more")] if lines[-1] == t("qa.more") else \
                [*lines[:-1], t("qa.more")]
            continue
        spare = limit - visible_length("\n".join([*head, source])) - 2
        lines = [_cut(lines[0], max(0, spare))] if spare > 0 else []
        if not lines:
            return "\n".join([*head, source])


def _cut(line: str, size: int) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", "", line))
    return esc(plain[:size]) + "…"


def cut(line: str, size: int) -> str:
    """The line as plain escaped text, at most `size` visible characters (… when cut)."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", line))
    return esc(plain) if len(plain) <= size else _cut(line, size - 1)
