"""ID numbers (GB 11643-1999) and the typed answers of the self-check."""

from __future__ import annotations

import random
from datetime import date

import pytest

from content.eligibility_input import (
    AnswerError,
    DayMissing,
    parse_birth_input,
    parse_choice,
    parse_major,
)
from content.idcard import (
    InvalidIdNumber,
    birth_date_from_id,
    check_char,
    validate_id_number,
)
from content.texts import default_texts

# The standard's own example number.
STANDARD = "11010519491231002X"
TODAY = date(2023, 5, 10)


def make_id(first17: str) -> str:
    return first17 + check_char(first17)


def test_the_standards_example_is_valid() -> None:
    assert check_char(STANDARD[:17]) == "X"
    assert validate_id_number(STANDARD) == STANDARD
    assert birth_date_from_id(STANDARD) == date(1949, 12, 31)


@pytest.mark.parametrize("typed", ["11010519491231002x", " 110105 19491231 002X ",
                                   "１１０１０５１９４９１２３１００２Ｘ"])
def test_spaces_lower_case_and_full_width_are_accepted(typed: str) -> None:
    assert validate_id_number(typed) == STANDARD


@pytest.mark.parametrize(("number", "code"), [
    ("11010519491231002", "length"),
    ("110105491231002", "length"),  # the old 15-digit form
    ("1101051949123100XX", "chars"),
    ("11010519491231A02X", "chars"),
    (make_id("00010519491231002"), "region"),
    (make_id("11010519491331002"), "birth_date"),
    (make_id("11010518990101002"), "birth_date"),
    ("110105194912310021", "checksum"),
])
def test_invalid_numbers_say_why(number: str, code: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        validate_id_number(number)
    assert caught.value.code == code
    assert number not in str(caught.value)  # messages may be logged


def test_birth_dates_after_today_are_refused() -> None:
    future = make_id("42090120300101001")
    assert birth_date_from_id(future) == date(2030, 1, 1)
    with pytest.raises(InvalidIdNumber, match="birth_date"):
        birth_date_from_id(future, today=TODAY)


def test_every_single_digit_error_is_caught() -> None:
    rng = random.Random(4)
    for _ in range(50):
        born = date(1970, 1, 1).toordinal() + rng.randrange(15000)
        region, serial = rng.randrange(10**4), rng.randrange(1000)
        first17 = f"42{region:04d}{date.fromordinal(born):%Y%m%d}{serial:03d}"
        number = make_id(first17)
        assert birth_date_from_id(number) == date.fromordinal(born)
        for position in range(17):
            for digit in "0123456789":
                if digit == number[position]:
                    continue
                typo = number[:position] + digit + number[position + 1:]
                with pytest.raises(InvalidIdNumber):
                    validate_id_number(typo)


@pytest.mark.parametrize("typed", ["1998-03-15", "1998-3-15", "1998年3月15日", "1998年03月15",
                                   "19980315", "1998/3/15", "1998.03.15", "１９９８－０３－１５"])
def test_birth_dates_in_the_usual_forms(typed: str) -> None:
    assert parse_birth_input(typed, TODAY) == (date(1998, 3, 15), False)


def test_a_birth_date_from_an_id_number() -> None:
    number = make_id("42090219980315123")
    assert parse_birth_input(number, TODAY) == (date(1998, 3, 15), True)


@pytest.mark.parametrize(("typed", "shown"), [
    ("1998年3月", "1998年3月15日"), ("1998年03月份", "1998年3月15日"), ("98年3月", "98年3月15日"),
    ("1998.3", "1998年3月15日"), ("1998-03", "1998年3月15日"), ("199803", "1998年3月15日"),
    ("１９９８年１２月", "1998年12月15日"),
])
def test_a_year_and_month_are_asked_for_the_day(typed: str, shown: str) -> None:
    with pytest.raises(DayMissing) as caught:
        parse_birth_input(typed, TODAY)
    assert shown in caught.value.message(default_texts())


@pytest.mark.parametrize("typed", ["1998年13月", "199813", "1998.0"])
def test_a_month_that_is_no_month_is_not_understood(typed: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_birth_input(typed, TODAY)
    assert caught.value.key == "eligibility.error.date_format"


@pytest.mark.parametrize(("typed", "key"), [
    ("明年", "eligibility.error.date_format"),
    ("1998-02-30", "eligibility.error.date_invalid"),
    ("2024-01-01", "eligibility.error.date_future"),
    ("1900-01-01", "eligibility.error.date_implausible"),
    ("2015-01-01", "eligibility.error.date_implausible"),
    ("420902199803151230", "eligibility.idcard.checksum"),
    ("42090219980315123", "eligibility.idcard.length"),
])
def test_unreadable_dates_name_the_text_that_explains(typed: str, key: str) -> None:
    with pytest.raises(AnswerError) as caught:
        parse_birth_input(typed, TODAY)
    assert caught.value.key == key
    assert caught.value.key in default_texts()


def test_typed_choices_and_majors() -> None:
    texts = default_texts()
    assert parse_choice(texts, "education", "专科") == "专科"
    assert parse_choice(texts, "education", "大专") == "专科"
    assert parse_choice(texts, "education", "专科（高职高专、大专）") == "专科"
    assert parse_choice(texts, "scope_includes_gp", "已加注全科医学") is True
    assert parse_choice(texts, "scope_includes_gp", "no") is False
    assert parse_choice(texts, "employment", "失业") is None
    assert parse_major("  临床  医学 ") == "临床 医学"
    with pytest.raises(AnswerError):
        parse_major("临" * 41)
