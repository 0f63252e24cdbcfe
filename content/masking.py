"""Personal numbers masked: the one place that says how (issue 14 finding 2).

`mask_id_number` and `mask_phone` mask a known value (the form's answers, the records);
`mask_personal_numbers` finds them in free text, masked before anything typed is stored, logged
or forwarded: questions (Q&A, 问老师, the unanswered list, a question waiting for the chooser),
status reasons, import labels, staff-inbox names, every log line (bot/logs.py).

"我叫张三，手机138 1234 5678，身份证420984199901011234，能报名吗" keeps its question and loses the
numbers: 18-character ID numbers (with or without a valid check character: a mistyped one is
still someone's) and mainland mobile numbers, also written with spaces or dashes inside or in
full-width digits, become 4209**********1234 and 138****5678. Nothing else is touched.
"""

from __future__ import annotations

import re

from content.idcard import normalize_id_number

_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ－", "0123456789xxX-")
_SEP = r"[ \-]?"
# An ID number: 17 digits and a digit or X, optionally broken by single spaces or dashes.
_ID = re.compile(r"(?<![0-9])(?:[0-9]" + _SEP + r"){17}[0-9Xx](?![0-9Xx])")
# A mainland mobile: 1[3-9] and 9 more digits, optionally broken up as 3-4-4, with +86 ahead.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86" + _SEP + r")?1[3-9][0-9]" + _SEP + r"[0-9]{4}"
                     + _SEP + r"[0-9]{4}(?![0-9])")
# What the functions below write: a text showing it had a number hidden.
MASKED = re.compile(r"[0-9]{4}\*{10}[0-9X]{4}|1[3-9][0-9]\*{4}[0-9]{4}")


def mask_id_number(id_number: str) -> str:
    """4209**********1234: enough to recognise one's own number, not to use it."""
    number = normalize_id_number(id_number)
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """138****5678"""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def _digits(found: str) -> str:
    return re.sub(r"[ \-+]", "", found)


def _id(match: re.Match[str]) -> str:
    return mask_id_number(_digits(match.group(0)))


def _mobile(match: re.Match[str]) -> str:
    return mask_phone(_digits(match.group(0))[-11:])


def mask_personal_numbers(text: str) -> str:
    """The text with every ID number and mainland mobile number in it masked."""
    folded = text.translate(_FULL_WIDTH)
    if folded == text and not any(ch.isdigit() for ch in text):
        return text
    return _MOBILE.sub(_mobile, _ID.sub(_id, folded))


def has_personal_numbers(text: str) -> bool:
    return mask_personal_numbers(text) != text.translate(_FULL_WIDTH)


def shows_masked(text: str) -> bool:
    """The text holds a personal number, or one already masked (by an earlier step)."""
    return has_personal_numbers(text) or bool(MASKED.search(text))
