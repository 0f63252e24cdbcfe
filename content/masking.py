"""Personal numbers in free text, masked before anything typed is stored, logged or forwarded.

"我叫张三，手机138 1234 5678，身份证420984199901011234，能报名吗" keeps its question and loses the
numbers: 18-character ID numbers (with or without a valid check character: a mistyped one is
still someone's) and mainland mobile numbers, also written with spaces or dashes inside or in
full-width digits, become 4209**********1234 and 138****5678. Nothing else is touched.
"""

from __future__ import annotations

import re

_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ－", "0123456789xxX-")
_SEP = r"[ \-]?"
# An ID number: 17 digits and a digit or X, optionally broken by single spaces or dashes.
_ID = re.compile(r"(?<![0-9])(?:[0-9]" + _SEP + r"){17}[0-9Xx](?![0-9Xx])")
# A mainland mobile: 1[3-9] and 9 more digits, optionally broken up as 3-4-4, with +86 ahead.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86" + _SEP + r")?1[3-9][0-9]" + _SEP + r"[0-9]{4}"
                     + _SEP + r"[0-9]{4}(?![0-9])")


def _digits(found: str) -> str:
    return re.sub(r"[ \-+]", "", found)


def _id(match: re.Match[str]) -> str:
    value = _digits(match.group(0)).upper()
    return value[:4] + "*" * 10 + value[-4:]


def _mobile(match: re.Match[str]) -> str:
    value = _digits(match.group(0))[-11:]
    return value[:3] + "****" + value[-4:]


def mask_personal_numbers(text: str) -> str:
    """The text with every ID number and mainland mobile number in it masked."""
    folded = text.translate(_FULL_WIDTH)
    if folded == text and not any(ch.isdigit() for ch in text):
        return text
    return _MOBILE.sub(_mobile, _ID.sub(_id, folded))


def has_personal_numbers(text: str) -> bool:
    return mask_personal_numbers(text) != text.translate(_FULL_WIDTH)
