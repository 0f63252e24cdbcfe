"""Reading typed answers of the self-check: birth dates (or an ID number), majors, choices.

Each failure is an :class:`AnswerError` whose ``key`` names the text that explains it, so the chat
re-asks only that question with a clear message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from content.eligibility import age_on
from content.form_input import is_question, label_variants, match_choice
from content.idcard import InvalidIdNumber, birth_date_from_id, normalize_id_number
from content.normalise import numerals_to_digits
from content.schema_eligibility import CHOICES, EDUCATION_ALIASES, EligibilitySpec
from content.texts import Texts

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-‐‑‒–—―−－](\d{1,2})[-‐‑‒–—―−－](\d{1,2})$"),
    re.compile(r"^(\d{4}|\d{2})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
# A year and month without the day ("1999年3月", "1999.3", "199903"): asked again for the day,
# named in the example, rather than told the date was not understood.
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4}|\d{2})年(\d{1,2})月份?$"),
    re.compile(r"^(\d{4})[-‐‑‒–—―−－./](\d{1,2})$"),
    re.compile(r"^(19\d{2}|20\d{2})(0[1-9]|1[0-2])$"),
)
_ID_LIKE = re.compile(r"^\d{15,17}[\dX]$")
# Applicants of this training are young adults; anything outside is a typing slip.
MIN_AGE, MAX_AGE = 15, 80
MAX_MAJOR = 40


class AnswerError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def message(self, texts: Texts) -> str:
        return texts(self.key)


class DayMissing(AnswerError):
    """A birth year and month without the day: the message repeats them with a day to add."""

    def __init__(self, year: int, month: int) -> None:
        super().__init__("eligibility.error.date_day_missing")
        self.year, self.month = year, month

    def message(self, texts: Texts) -> str:
        year = self.year if self.year >= 100 else f"{self.year:02d}"
        return texts(self.key, year=year, month=self.month)


def parse_birth_input(text: str, today: date) -> tuple[date, bool]:
    """(birth date, whether it came from an ID number); the number itself is not returned.

    Full-width digits, spaces and dashes inside an ID number, and Chinese numerals are read."""
    folded = numerals_to_digits(unicodedata.normalize("NFKC", text))
    compact = normalize_id_number(folded)
    if _ID_LIKE.match(compact):
        try:
            born = birth_date_from_id(compact, today=today)
        except InvalidIdNumber as error:
            raise AnswerError(f"eligibility.idcard.{error.code}") from None
        return _plausible(born, today), True
    spaced = "".join(folded.split())
    for pattern in _DATE_PATTERNS:
        match = pattern.match(spaced)
        if match:
            year, month, day = (int(g) for g in match.groups())
            if year < 100:  # "98年3月15日"
                year += 2000 if 2000 + year <= today.year else 1900
            try:
                born = date(year, month, day)
            except ValueError:
                raise AnswerError("eligibility.error.date_invalid") from None
            return _plausible(born, today), False
    for pattern in _MONTH_PATTERNS:
        match = pattern.match(spaced)
        if match and 1 <= int(match.group(2)) <= 12:
            raise DayMissing(int(match.group(1)), int(match.group(2)))
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


def choice_words(texts: Texts, field: str, spec: EligibilitySpec | None = None
                 ) -> dict[str | bool, list[str]]:
    """Each value of a button question with what an applicant may type for it: its key, its
    button's label and the label's parts (content/form_input.py), the synonyms the texts list
    under ``eligibility.synonyms.<field>.<key>``, and the education aliases. A campaign's own
    question (`spec`) gives its choices and their words."""
    own = spec.question(field) if spec is not None else None
    if own is not None:
        return dict(own.words().items())
    if field == "scope_includes_gp":
        keys: dict[str, str | bool] = {"yes": True, "no": False}
    else:
        keys = {value: value for value in CHOICES[field]}
    words: dict[str | bool, list[str]] = {}
    for key, value in keys.items():
        names = [key, *label_variants(texts(f"eligibility.choice.{field}.{key}"))]
        synonyms = f"eligibility.synonyms.{field}.{key}"
        if synonyms in texts:
            names += texts(synonyms).split("|")
        if field == "education":
            names += [alias for alias, level in EDUCATION_ALIASES.items() if level == value]
        words[value] = names
    return words


def parse_choice(texts: Texts, field: str, text: str, spec: EligibilitySpec | None = None
                 ) -> str | bool | None:
    """A typed answer to a button question: the value its label or a synonym names; None when
    the text names none (or two). Within a question only the exact words count."""
    return match_choice(text, choice_words(texts, field, spec), contained=not is_question(text))
