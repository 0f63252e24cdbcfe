"""`zhaolu check-content --questions`: generic applicant questions asked of a campaign, and what
each would cite, so an author sees misroutes before publishing.

The questions (content/check_questions.yaml) are the same for every campaign. Each is answered
by the Q&A exactly as the bot would (content/qa.py) at the moment the registration window opens
(Campaign.registration_moment: with no opening date, the notice's publication or the close),
and summed up in one line: the clause and the answer's title it cites, or 通知未提及 when the
reply says the notice does not say (with the closest clause when the reply offers one as a
guess). The output format is documented in the README's authoring section.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml

from content.qa import answer
from content.qa_reply import FALLBACK
from content.schema import Campaign

QUESTIONS_PATH = Path(__file__).resolve().parent / "check_questions.yaml"
NOT_SAID = "通知未提及"
_TITLE = re.compile(r"<b>(.*?)</b>")


@dataclass(frozen=True)
class Checked:
    id: str
    question: str
    said: bool  # the notice answers it
    clause: str  # what the reply cites ("" when nothing)
    title: str  # the heading of the answer it gives ("" when nothing)

    def line(self) -> str:
        """id<TAB>question<TAB>clause「title」, or 通知未提及 (with the closest guess)."""
        cited = f"{self.clause}「{self.title}」" if self.title else self.clause
        if self.said:
            return f"{self.id}\t{self.question}\t{cited}"
        if self.title:
            return f"{self.id}\t{self.question}\t{NOT_SAID}（最接近：{cited}）"
        return f"{self.id}\t{self.question}\t{NOT_SAID}"


@cache
def generic_questions() -> tuple[tuple[str, str], ...]:
    data = yaml.safe_load(QUESTIONS_PATH.read_text(encoding="utf-8"))
    return tuple((str(q["id"]), str(q["question"])) for q in data["questions"])


def check_questions(campaign: Campaign, now: datetime | None = None) -> list[Checked]:
    """Each generic question with what the campaign's Q&A answers it with."""
    now = now or campaign.registration_moment
    rows = []
    for key, question in generic_questions():
        reply = answer(campaign, question, now)
        clause = campaign.clause_of(reply.source)
        titles = _TITLE.findall(reply.text)
        title = html.unescape(titles[0]) if titles else ""
        if reply.kind != FALLBACK:
            rows.append(Checked(key, question, True, clause, title))
        elif reply.entry and not reply.entry.startswith("silent:"):
            rows.append(Checked(key, question, False, clause, title))  # the closest, a guess
        else:  # "the notice does not say": its clause is only where the contacts stand
            rows.append(Checked(key, question, False, "", ""))
    return rows


def report(campaign: Campaign) -> list[str]:
    """The block printed for one campaign: a heading, then one line per question."""
    rows = check_questions(campaign)
    said = sum(row.said for row in rows)
    head = (f"== {campaign.slug} ({campaign.registration_moment.isoformat()}): "
            f"{said}/{len(rows)} answered from the notice")
    return [head, *(row.line() for row in rows)]
