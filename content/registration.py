"""Pre-registration answers: which fields a campaign's form asks, how each answer is validated,
how personal data is masked, the eligibility profile, and the materials pre-check.

Every validator takes the applicant's raw text and returns the value to keep or raises
:class:`FieldError`, whose text key (``registration.error.*``) says what is wrong in Chinese.
Nothing here knows Telegram.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from content.idcard import (
    SEPARATORS,
    InvalidIdNumber,
    birth_date_from_id,
    validate_id_number,
)
from content.masking import mask_id_number
from content.normalise import numerals_to_digits
from content.schema import Campaign, MaterialRule
from content.schema_eligibility import Profile
from content.texts import Texts, default_texts

# Closed sets: ASCII ids (button data, stored) -> the eligibility profile's values.
EDUCATION = {"zz": "中专", "zk": "专科", "bk": "本科", "ss": "硕士", "bs": "博士"}
# 执业资格 -> (qualification, scope_includes_gp)
QUALIFICATION = {
    "none": ("无", False),
    "asst": ("执业助理医师", False),
    "asst_gp": ("执业助理医师", True),
    "doctor": ("执业医师", False),
}
# Offered as buttons; any other major may be typed.
COMMON_MAJORS = ("临床医学", "中医学", "口腔医学", "护理")
ID_FIELD = "id_number"

_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－（）　", "0123456789+-() ")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Separators in minority and foreign names, as typed on phones; kept as the standard ·.
_NAME_DOTS = str.maketrans("•・．.", "····")
_NAME = re.compile(rf"^[{_HAN}]+(·[{_HAN}]+)*$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")
# 2022, 2022年, 2022届, 2022年6月毕业; two digits only with 年/届/级 ("22届"; a bare "23" may be an
# age).
_YEAR = re.compile(r"^(?:(?P<year>\d{4})(?:年|届|级)?|(?P<short>\d{2})(?:年|届|级))"
                   r"(?:\d{1,2}月份?)?(?:毕业|届|应届)?(?:生)?$")
_TEXT = re.compile(rf"^[{_HAN}A-Za-z0-9（）()·\-\s]+$")


class FieldError(ValueError):
    """An invalid answer; ``key`` is the text explaining it, ``values`` its placeholders."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def message(self, texts: Texts | None = None) -> str:
        return (texts or default_texts())(self.key, **self.values)


@dataclass(frozen=True)
class Applicant:
    """A complete, validated set of answers (the ID number in clear: never log this)."""

    name: str
    id_number: str
    phone: str
    school: str
    graduation_year: int
    education: str
    major: str
    qualification: str
    person_type: str
    base_choices: tuple[str, ...] = ()
    accepts_adjustment: bool | None = None

    def __repr__(self) -> str:
        return f"Applicant(name=…, id_number={mask_id_number(self.id_number)}, …)"


def form_fields(campaign: Campaign) -> list[str]:
    """The fields asked, in order; "bases" and "adjustment" only where the campaign asks them."""
    fields = ["name", ID_FIELD, "phone", "school", "graduation_year", "education", "major",
              "qualification", "person_type"]
    if campaign.form is not None and campaign.form.base_choice == "pick":
        fields.append("bases")
    if campaign.registration.asks_adjustment:
        fields.append("adjustment")
    return fields


def parse_name(text: str) -> str:
    name = "".join(text.split()).translate(_NAME_DOTS)
    if not _NAME.match(name):
        raise FieldError("registration.error.name_chars")
    if not 2 <= len(name) <= 20:
        raise FieldError("registration.error.name_length")
    return name


def parse_id_number(text: str, *, now: datetime) -> str:
    try:
        return validate_id_number(text, today=now.date())
    except InvalidIdNumber as exc:
        raise FieldError(f"registration.error.id_{exc.code}") from None


def parse_phone(text: str) -> str:
    """11 digits, however typed: full-width, with spaces, dashes, dots or brackets, +86 ahead."""
    folded = unicodedata.normalize("NFKC", text.translate(_FULL_WIDTH))
    digits = re.sub(r"[()]", "", SEPARATORS.sub("", folded))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if digits and not digits.isdigit():
        raise FieldError("registration.error.phone_chars")
    if not _PHONE.match(digits):
        raise FieldError("registration.error.phone_format")
    return digits


def _free_text(text: str, *, error: str, longest: int) -> str:
    value = " ".join(text.split())
    if not 2 <= len(value) <= longest or not _TEXT.match(value) or value.isdigit():
        raise FieldError(error, longest=longest)
    return value


def parse_school(text: str) -> str:
    return _free_text(text, error="registration.error.school", longest=40)


def parse_major(text: str) -> str:
    return _free_text(text, error="registration.error.major", longest=30)


def parse_graduation_year(text: str, *, now: datetime, birth: date | None = None) -> int:
    """2022, 2022年, 2022届, 22年, 22届, 2022年6月, 二〇二二年, full-width digits: the year."""
    match = _YEAR.match(numerals_to_digits(unicodedata.normalize("NFKC", text)).strip()
                        .replace(" ", ""))
    if match is None:
        raise FieldError("registration.error.year_format")
    if match.group("short"):  # "22届": this century, unless that is still to come
        year = int(match.group("short"))
        year += 2000 if 2000 + year <= now.year else 1900
    else:
        year = int(match.group("year"))
    if year > now.year:
        raise FieldError("registration.error.year_future", year=now.year)
    earliest = max(now.year - 50, birth.year + 15 if birth else 0)
    if year < earliest:
        raise FieldError("registration.error.year_past", earliest=earliest)
    return year


def profile_for(applicant: Applicant, campaign: Campaign) -> Profile:
    """The eligibility profile the answers give (birth date from the ID number)."""
    if campaign.form is None:
        raise ValueError(f"campaign {campaign.slug} has no form")
    person = campaign.form.person_type(applicant.person_type)
    if person is None:
        raise ValueError(f"unknown person type {applicant.person_type!r}")
    qualification, gp_scope = QUALIFICATION[applicant.qualification]
    return Profile(
        education=EDUCATION[applicant.education],
        major=applicant.major,
        birth_date=birth_date_from_id(applicant.id_number),
        qualification=qualification,
        scope_includes_gp=gp_scope,
        employment=person.employment,
        sponsorship=person.sponsorship,
    )


def _format_ok(rule: MaterialRule, file_name: str | None, mime_type: str | None) -> bool:
    formats = {f.lower() for f in rule.formats}
    if "jpg" in formats:
        formats.add("jpeg")
    if file_name and "." in file_name:
        return file_name.rsplit(".", 1)[1].lower() in formats
    # A photo (no file name): Telegram says its type only through the MIME type.
    return bool(mime_type) and mime_type.split("/")[-1].lower() in formats


KIB = 1024


def size_kb(size_bytes: int) -> int:
    """The size in KB as Windows' file list shows it: 1024 bytes, rounded up."""
    return -(-size_bytes // KIB)


def check_material(
    rule: MaterialRule, file_name: str | None, mime_type: str | None, size_bytes: int | None
) -> list[str]:
    """What to fix before uploading this file on the official site; empty when it passes."""
    texts = default_texts()
    problems: list[str] = []
    if rule.formats and not _format_ok(rule, file_name, mime_type):
        problems.append(texts("registration.material.bad_format",
                              formats="、".join(rule.formats)))
    # "300KB以下": 1 KB = 1024 bytes, the reading of Windows and of upload checks written as
    # size > 300 * 1024; sizes are shown the same way (size_kb), so what we show and what we
    # refuse agree: a file shown as 300KB passes, one shown as 301KB does not.
    if rule.max_kb is not None:
        if size_bytes is None:
            problems.append(texts("registration.material.unknown_size"))
        elif size_bytes > rule.max_kb * KIB:
            problems.append(texts("registration.material.too_big", max_kb=rule.max_kb,
                                  size_kb=size_kb(size_bytes)))
    return problems
