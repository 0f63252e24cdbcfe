"""Reading typed answers of the self-check: birth dates (or an ID number), majors, choices.

Each failure is an :class:`AnswerError` whose ``key`` names the text that explains it, so the chat
re-asks only that question with a clear message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from content.eligibility import age_on
from content.idcard import InvalidIdNumber, birth_date_from_id, normalize_id_number
from content.schema_eligibility import CHOICES, EDUCATION_ALIASES
from content.texts import Texts

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_ID_LIKE = re.compile(r"^\d{15,17}[\dX]$")
# Applicants of this training are young adults; anything outside is a typing slip.
MIN_AGE, MAX_AGE = 15, 80
MAX_MAJOR = 40


class AnswerError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def parse_birth_input(text: str, today: date) -> tuple[date, bool]:
    """(birth date, whether it came from an ID number); the number itself is not returned."""
    compact = normalize_id_number(unicodedata.normalize("NFKC", text))
    if _ID_LIKE.match(compact):
        try:
            born = birth_date_from_id(compact, today=today)
        except InvalidIdNumber as error:
            raise AnswerError(f"eligibility.idcard.{error.code}") from None
        return _plausible(born, today), True
    for pattern in _DATE_PATTERNS:
        match = pattern.match(compact)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                born = date(year, month, day)
            except ValueError:
                raise AnswerError("eligibility.error.date_invalid") from None
            return _plausible(born, today), False
    raise AnswerError("eligibility.error.date_format")


def _plausible(born: date, today: date) -> date:
    if born > today:
        raise AnswerError("eligibility.error.date_future")
    if not MIN_AGE <= age_on(born, today) <= MAX_AGE:
        raise AnswerError("eligibility.error.date_implausible")
    return born


def parse_major(text: str) -> str:
    major = " ".join(text.split())
    if not major:
        raise AnswerError("eligibility.q.major")
    if len(major) > MAX_MAJOR:
        raise AnswerError("eligibility.error.major_length")
    return major


def parse_choice(texts: Texts, field: str, text: str) -> str | bool | None:
    """A typed answer to a button question: the value or its label; None when not one."""
    typed = "".join(text.split())
    if field == "scope_includes_gp":
        options: dict[str, str | bool] = {"yes": True, "no": False}
    else:
        options = {value: value for value in CHOICES[field]}
    for key, value in options.items():
        label = texts(f"eligibility.choice.{field}.{key}")
        if typed in (key, "".join(label.split())):
            return value
    if field == "education" and typed in EDUCATION_ALIASES:
        return EDUCATION_ALIASES[typed]
    return None
