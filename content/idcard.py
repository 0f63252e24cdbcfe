"""Resident identity card numbers (GB 11643-1999): validation, birth date (masking:
content/masking.py).

Shared by the eligibility check (birth date only, the number is not kept) and pre-registration.
Error messages never contain the number: callers may log them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# GB 11643-1999: weights 2^(17-i) mod 11 over the first 17 digits; the sum mod 11 picks the
# check character from this table.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits: provinces of GB/T 2260, plus 81/82/83 used by the residence permits of
# Hong Kong, Macao and Taiwan residents.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
})
# Full-width digits and X, as Chinese input methods often produce them.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘX", "0123456789XXX")
# What people put between groups of digits: spaces, dashes of every width, dots.
SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−－_.·]")
# 15 to 18 characters of an ID number, valid or not, maybe broken by single separators: what
# must not stay in a chat.
_ID_LIKE = re.compile(r"(?<![0-9])(?:[0-9][\s\-‐‑‒–—―−－_.·]?){14,17}[0-9Xx](?![0-9Xx])")


class InvalidIdNumber(ValueError):
    """``code`` is one of length, chars, region, birth_date, checksum (text keys use it)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"invalid ID number: {code}")
        self.code = code


def normalize_id_number(text: str) -> str:
    """Spaces and dashes removed ("4201 0219 9001 0112 34", "420102-19900101-1234"),
    full-width characters folded, a trailing x upper-cased."""
    folded = unicodedata.normalize("NFKC", text.translate(_FULL_WIDTH))
    return SEPARATORS.sub("", folded).upper()


def looks_like_id_number(text: str) -> bool:
    """Whether the text carries an ID number, valid or mistyped, however written."""
    return bool(_ID_LIKE.search(unicodedata.normalize("NFKC", text.translate(_FULL_WIDTH))))


def check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def validate_id_number(text: str, *, today: date | None = None) -> str:
    """The normalized 18-character number, or :class:`InvalidIdNumber`.

    ``today``, when given, refuses birth dates after it.
    """
    number = normalize_id_number(text)
    if len(number) != 18:
        raise InvalidIdNumber("length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("chars")
    if number[:2] not in PROVINCES:
        raise InvalidIdNumber("region")
    born = _birth_date(number)
    if born is None or born.year < 1900 or (today is not None and born > today):
        raise InvalidIdNumber("birth_date")
    if check_char(number[:17]) != number[17]:
        raise InvalidIdNumber("checksum")
    return number


def birth_date_from_id(id_number: str, *, today: date | None = None) -> date:
    """The birth date encoded in a valid number (digits 7-14); validates the number first."""
    number = validate_id_number(id_number, today=today)
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
