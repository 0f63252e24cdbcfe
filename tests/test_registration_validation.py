"""Each form field's validation, masking, the profile, the window and the materials check."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from content.catalogue import load_catalogue
from content.registration import (
    FieldError,
    check_material,
    form_fields,
    parse_graduation_year,
    parse_id_number,
    parse_major,
    parse_name,
    parse_phone,
    parse_school,
    profile_for,
)
from content.registration_text import next_steps
from content.schema import MaterialRule
from content.schema_form import PersonType
from content.texts import default_texts
from tests.registration_helpers import applicant, id_number

NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
CATALOGUE = load_catalogue()
XIAOGAN = CATALOGUE.get("xiaogan-2023")
FUJIAN = CATALOGUE.get("fujian-2023")


def _error(call, *args, **kwargs) -> str:
    with pytest.raises(FieldError) as caught:
        call(*args, **kwargs)
    message = caught.value.message()
    assert message and "registration." not in message  # a real text, not a missing key
    return caught.value.key


@pytest.mark.parametrize(("raw", "kept"), [
    ("张三", "张三"), (" 欧阳 娜娜 ", "欧阳娜娜"), ("阿依古丽·买买提", "阿依古丽·买买提"),
    ("阿依古丽.买买提", "阿依古丽·买买提"), ("阿依古丽•买买提", "阿依古丽·买买提"),
])
def test_names_accepted(raw: str, kept: str) -> None:
    assert parse_name(raw) == kept


@pytest.mark.parametrize(("raw", "key"), [
    ("张", "name_length"), ("张" * 21, "name_length"), ("Zhang San", "name_chars"),
    ("张三1", "name_chars"), ("·张三", "name_chars"), ("张三·", "name_chars"),
    ("阿依古丽··买买提", "name_chars"), ("<b>张三</b>", "name_chars"), ("", "name_chars"),
])
def test_names_refused(raw: str, key: str) -> None:
    assert _error(parse_name, raw) == f"registration.error.{key}"


def test_id_number_accepted_normalised() -> None:
    number = id_number("11010519491231002")  # GB 11643's own example ends in X
    assert number.endswith("X")
    assert parse_id_number(number.lower(), now=NOW) == number
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert parse_id_number(spaced, now=NOW) == number


@pytest.mark.parametrize(("raw", "code"), [
    (id_number()[:-1], "length"),
    (id_number() + "1", "length"),
    ("4209021999010112A4", "chars"),
    (id_number("99090219990101123"), "region"),
    (id_number("42090219991301123"), "birth_date"),
    (id_number("42090220240101123"), "birth_date"),  # born after `now`
    (id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1"), "checksum"),
])
def test_id_number_refused(raw: str, code: str) -> None:
    assert _error(parse_id_number, raw, now=NOW) == f"registration.error.id_{code}"


@pytest.mark.parametrize("raw", [
    "13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678",
    "8613812345678", "008613812345678", "１３８１２３４５６７８", "(+86) 138-1234-5678",
])
def test_phones_accepted(raw: str) -> None:
    assert parse_phone(raw) == "13812345678"


@pytest.mark.parametrize(("raw", "key"), [
    ("12812345678", "phone_format"), ("1381234567", "phone_format"),
    ("138123456789", "phone_format"), ("0712-2349370", "phone_format"),
    ("138abc45678", "phone_chars"), ("", "phone_format"),
])
def test_phones_refused(raw: str, key: str) -> None:
    assert _error(parse_phone, raw) == f"registration.error.{key}"


@pytest.mark.parametrize(("raw", "year"), [
    ("2023", 2023), ("2020届", 2020), ("２０２１年", 2021), ("22年", 2022), ("2022届", 2022),
    ("22届", 2022), ("２２届", 2022), ("二〇二二年", 2022), ("2022年6月毕业", 2022),
    ("2022 届", 2022)])
def test_graduation_year_accepted(raw: str, year: int) -> None:
    assert parse_graduation_year(raw, now=NOW, birth=date(1999, 1, 1)) == year


@pytest.mark.parametrize(("raw", "key"), [
    ("23", "year_format"), ("二三", "year_format"), ("2024", "year_future"),
    ("1970", "year_past"), ("2012", "year_past"),  # born 1999: not a graduate at 13
])
def test_graduation_year_refused(raw: str, key: str) -> None:
    assert _error(parse_graduation_year, raw, now=NOW,
                  birth=date(1999, 1, 1)) == f"registration.error.{key}"


def test_school_and_major() -> None:
    assert parse_school("  湖北职业技术学院 ") == "湖北职业技术学院"
    assert parse_school("泉州医学高等专科学校（晋江校区）") == "泉州医学高等专科学校（晋江校区）"
    assert parse_major("临床医学") == "临床医学"
    for bad in ("学", "12345", "<script>", "学" * 41):
        assert _error(parse_school, bad) == "registration.error.school"
    assert _error(parse_major, "临") == "registration.error.major"


def test_fields_asked_follow_the_campaign() -> None:
    common = ["name", "id_number", "phone", "school", "graduation_year", "education", "major",
              "qualification", "person_type"]
    assert form_fields(XIAOGAN) == [*common, "bases"]
    assert form_fields(FUJIAN) == [*common, "adjustment"]


def test_profile_from_answers() -> None:
    profile = profile_for(applicant(person_type="order", qualification="asst_gp"), XIAOGAN)
    assert profile.birth_date == date(1999, 1, 1)
    assert (profile.education, profile.qualification, profile.scope_includes_gp) == (
        "专科", "执业助理医师", True)
    assert (profile.employment, profile.sponsorship) == ("无", "农村订单定向")


def test_pre_registration_period_by_the_clock() -> None:
    form = FUJIAN.form
    assert not form.is_open(datetime.fromisoformat("2023-07-07T23:59:59+08:00"))
    assert form.is_open(datetime.fromisoformat("2023-07-08T00:00:00+08:00"))
    assert form.is_open(datetime.fromisoformat("2023-07-12T17:00:00+08:00"))
    assert not form.is_open(datetime.fromisoformat("2023-07-12T17:00:01+08:00"))
    assert XIAOGAN.form.is_open(datetime.fromisoformat("2023-06-30T23:00:00+08:00"))
    assert not XIAOGAN.form.is_open(datetime.fromisoformat("2023-07-01T00:00:00+08:00"))


def test_bundled_forms_resolve_and_refusals_explain() -> None:
    assert XIAOGAN.form.problems(XIAOGAN) == [] and FUJIAN.form.problems(FUJIAN) == []
    assert [p.id for p in FUJIAN.form.person_types if p.accepted] == ["social"]
    with pytest.raises(ValueError, match="needs a message"):
        PersonType(id="unit", label="单位人", description="…", accepted=False, clause="一")


def test_next_steps_carry_the_notice_specifics() -> None:
    fujian = next_steps(FUJIAN, default_texts())
    for needed in ("fjzlqk.wsglw.net", "2023年7月9日 8:00至7月12日 17:00", "jpg", "300KB",
                   "电脑", "身份证正反面"):
        assert needed in fujian
    xiaogan = next_steps(XIAOGAN, default_texts())
    assert "https://www.hbwsrc.cn" in xiaogan and "2023年5月4日至6月30日" in xiaogan


RULE = MaterialRule(id="id_card", name="身份证正反面", formats=["jpg"], max_kb=300, clause="三")


@pytest.mark.parametrize(("name", "mime", "size", "problems"), [
    ("scan.jpg", "image/jpeg", 300_000, 0),
    ("scan.jpg", "image/jpeg", 302_080, 0),  # 295 KiB: "295 KB" on the phone, passes
    ("scan.jpg", "image/jpeg", 307_200, 0),  # exactly 300 KiB
    ("SCAN.JPEG", "image/jpeg", 120_000, 0),
    (None, "image/jpeg", 90_000, 0),  # a photo: no file name
    ("scan.png", "image/png", 100_000, 1),
    ("scan.jpg", "image/jpeg", 307_201, 1),
    ("scan.pdf", "application/pdf", 2_000_000, 2),
    ("scan.jpg", "image/jpeg", None, 1),
])
def test_check_material(name: str | None, mime: str, size: int | None, problems: int) -> None:
    found = check_material(RULE, name, mime, size)
    assert len(found) == problems
    if size and size > 307_200:  # 1 KB = 1024 bytes, said in the message
        assert any("300KB" in p and "1024" in p for p in found)
