"""The rule engine on both notices' rules: boundaries, every reason, next steps, examples."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from content.catalogue import load_catalogue
from content.eligibility import (
    InvalidProfile,
    MissingFields,
    age_on,
    check_examples,
    evaluate,
    missing_fields,
    parse_profile,
)
from content.schema import Campaign

MAY_10 = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
CATALOGUE = load_catalogue()
XIAOGAN = CATALOGUE.get("xiaogan-2023")
FUJIAN = CATALOGUE.get("fujian-2023")
BASE = {"education": "专科", "major": "临床医学", "birth_date": "2000-01-01",
        "qualification": "无", "scope_includes_gp": False, "employment": "无", "sponsorship": "无"}


def check(campaign: Campaign | None, now: datetime = MAY_10, **changes: object):
    assert campaign is not None
    return evaluate(campaign, parse_profile({**BASE, **changes}), now)


def rules(verdict) -> list[str]:
    return [r.rule for r in verdict.reasons]


@pytest.mark.parametrize("campaign", [XIAOGAN, FUJIAN], ids=lambda c: c.slug)
def test_the_bundled_examples_hold(campaign: Campaign) -> None:
    assert campaign.eligibility is not None and campaign.eligibility.examples
    assert check_examples(campaign) == []


@pytest.mark.parametrize(("campaign", "clauses"), [
    (XIAOGAN, {"二、招录对象", "二、招录对象（一）", "二、招录对象（二）", "二、招录对象（三）"}),
    (FUJIAN, {"一、招收对象", "六、其他事项（一）"}),
], ids=["xiaogan", "fujian"])
def test_every_clause_has_an_example(campaign: Campaign, clauses: set[str]) -> None:
    spec = campaign.eligibility
    assert spec is not None
    assert {e.clause for e in spec.examples} == clauses
    # And each example's rules really come from the clause it illustrates (or it is eligible).
    for example in spec.examples:
        clauses_fired = {spec.rule(r).clause for r in example.rules or []}
        assert example.verdict == "eligible" or example.clause in clauses_fired, example.name


@pytest.mark.parametrize(("born", "age", "verdict"), [
    ("1988-06-30", 35, "eligible"),    # 35 exactly on the reference date: 以下 includes 35
    ("1988-06-29", 35, "eligible"),    # 35 and one day
    ("1987-07-01", 35, "eligible"),    # turns 36 the day after the reference date
    ("1987-06-30", 36, "ineligible"),  # turns 36 on the reference date
    ("2005-06-30", 18, "eligible"),
])
def test_xiaogan_age_boundary_at_the_reference_date(born: str, age: int, verdict: str) -> None:
    result = check(XIAOGAN, birth_date=born)
    assert (result.age, result.verdict) == (age, verdict)
    assert rules(result) == ([] if verdict == "eligible" else ["age_over_35"])


def test_age_counts_whole_years_only_after_the_birthday() -> None:
    assert age_on(date(1988, 6, 30), date(2023, 6, 30)) == 35
    assert age_on(date(1988, 7, 1), date(2023, 6, 30)) == 34
    assert age_on(date(2000, 2, 29), date(2023, 2, 28)) == 22
    assert age_on(date(2000, 2, 29), date(2023, 3, 1)) == 23


def test_the_age_is_taken_at_the_reference_date_not_today() -> None:
    later = datetime.fromisoformat("2024-12-01T10:00:00+08:00")
    assert check(XIAOGAN, later, birth_date="1988-06-30").verdict == "eligible"


def test_xiaogan_assistant_physician_depends_on_the_gp_scope() -> None:
    without = check(XIAOGAN, qualification="执业助理医师", scope_includes_gp=False)
    assert without.verdict == "eligible"
    with_gp = check(XIAOGAN, qualification="执业助理医师", scope_includes_gp=True)
    assert with_gp.verdict == "ineligible"
    assert rules(with_gp) == ["assistant_with_gp_scope"]
    assert with_gp.reasons[0].source.endswith("二、招录对象（二）")
    assert with_gp.reasons[0].source.startswith(XIAOGAN.citation)


def test_xiaogan_licensed_physician_is_excluded_and_scope_is_not_asked() -> None:
    assert XIAOGAN is not None and XIAOGAN.eligibility is not None
    partial = {k: v for k, v in BASE.items() if k != "scope_includes_gp"}
    assert missing_fields(XIAOGAN.eligibility, {**partial, "qualification": "执业医师"}) == []
    assert missing_fields(XIAOGAN.eligibility, {**partial, "qualification": "执业助理医师"}) == [
        "scope_includes_gp"]
    result = evaluate(XIAOGAN, parse_profile({**partial, "qualification": "执业医师"}), MAY_10)
    assert rules(result) == ["licensed_physician"]


@pytest.mark.parametrize("campaign", [XIAOGAN, FUJIAN], ids=lambda c: c.slug)
@pytest.mark.parametrize(("changes", "rule"), [
    ({"education": "本科"}, "education_bachelor_or_above"),
    ({"education": "博士"}, "education_bachelor_or_above"),
    ({"education": "中专"}, "education_secondary"),
    ({"major": "护理"}, "major_not_clinical"),
    ({"major": "药学"}, "major_not_clinical"),
    ({"major": "中医学"}, "major_not_clinical"),
    ({"major": "临床医学检验技术"}, "major_not_clinical"),
])
def test_education_and_major_exclusions(campaign: Campaign, changes: dict, rule: str) -> None:
    result = check(campaign, **changes)
    assert (result.verdict, rules(result)) == ("ineligible", [rule])
    assert all(step.kind != "pre_register" for step in result.next_steps)


@pytest.mark.parametrize("major", ["临床医学", "临床医学专业", "臨床醫學", " 临床 医学 ",
                                   "临床医学（全科医学方向）", "临床医学(乡村医生方向)"])
def test_clinical_medicine_and_its_variants_are_recognised(major: str) -> None:
    assert check(XIAOGAN, major=major).verdict == "eligible"
    assert check(FUJIAN, major=major).verdict == "eligible"


def test_xiaogan_rural_order_students_are_sent_by_their_unit() -> None:
    result = check(XIAOGAN, employment="基层医疗卫生机构", sponsorship="农村订单定向")
    assert (result.verdict, rules(result)) == ("conditional", ["rural_order_student"])
    assert "委托培训单位" in result.reasons[0].text
    assert [s.kind for s in result.next_steps] == ["pre_register", "contact"]
    assert "孝感市第一人民医院" in result.next_steps[1].text


def test_xiaogan_in_service_staff_are_conditional() -> None:
    assert rules(check(XIAOGAN, employment="其他单位")) == ["employed_not_sponsored"]
    assert rules(check(XIAOGAN, employment="基层医疗卫生机构", sponsorship="在职选送")) == [
        "in_service_sponsored"]


def test_every_reason_is_listed_with_its_clause() -> None:
    result = check(XIAOGAN, education="本科", major="护理", birth_date="1980-01-01",
                   qualification="执业医师")
    assert result.verdict == "ineligible"
    assert set(rules(result)) == {"education_bachelor_or_above", "major_not_clinical",
                                  "age_over_35", "licensed_physician"}
    assert all(r.source.startswith("《") and "二、招录对象" in r.source for r in result.reasons)
    assert "护理" in next(r.text for r in result.reasons if r.rule == "major_not_clinical")
    assert "43周岁" in next(r.text for r in result.reasons if r.rule == "age_over_35")


def test_fujian_unit_staff_belong_to_the_august_batch() -> None:
    result = check(FUJIAN, employment="基层医疗卫生机构")
    assert (result.verdict, rules(result)) == ("conditional", ["grassroots_staff"])
    assert [s.kind for s in result.next_steps] == ["other_batch", "contact"]
    assert "8月" in result.next_steps[0].text and "另行通知" in result.next_steps[0].text
    assert "六、其他事项（一）" in result.reasons[0].source
    oriented = check(FUJIAN, sponsorship="农村订单定向")
    assert (oriented.verdict, rules(oriented)) == ("conditional", ["oriented_graduate"])


def test_fujian_has_no_age_limit_and_does_not_ask_for_it() -> None:
    assert FUJIAN is not None and FUJIAN.eligibility is not None
    assert missing_fields(FUJIAN.eligibility, {}) == ["education", "major", "employment",
                                                       "sponsorship"]
    assert check(FUJIAN, birth_date="1970-01-01", qualification="执业医师").verdict == "eligible"


def test_fujian_eligible_applicants_are_told_the_grassroots_condition() -> None:
    result = check(FUJIAN)
    assert result.verdict == "eligible"
    assert any("基层医疗卫生机构" in note and "一、招收对象" in note for note in result.notes)
    assert rules(check(FUJIAN, employment="其他单位")) == ["other_employer"]


@pytest.mark.parametrize(("now", "wording"), [
    ("2023-05-10T10:00:00+08:00", "请在2023年6月30日前"),
    ("2023-05-01T10:00:00+08:00", "届时报名"),
    ("2023-07-01T00:00:00+08:00", "已于2023年6月30日截止"),
])
def test_the_pre_registration_step_follows_the_window(now: str, wording: str) -> None:
    result = check(XIAOGAN, datetime.fromisoformat(now))
    assert result.verdict == "eligible"
    assert [s.kind for s in result.next_steps] == ["pre_register"]
    assert wording in result.next_steps[0].text


def test_missing_fields_are_reported_not_guessed() -> None:
    assert XIAOGAN is not None
    with pytest.raises(MissingFields) as caught:
        evaluate(XIAOGAN, parse_profile({"education": "专科", "major": "临床医学"}), MAY_10)
    assert caught.value.fields == ["birth_date", "qualification", "scope_includes_gp",
                                   "employment", "sponsorship"]


def test_invalid_profiles_name_each_field() -> None:
    with pytest.raises(InvalidProfile) as caught:
        parse_profile({"education": "大学", "birth_date": 19900101, "id_number": "x"})
    assert {field for field, _ in caught.value.problems} == {"education", "birth_date",
                                                             "id_number"}
    assert parse_profile({"education": "大专"}).education == "专科"
    with pytest.raises(InvalidProfile):
        check(XIAOGAN, birth_date="2030-01-01")
