"""The rule language refuses what it cannot mean, and check-content catches wrong examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from content.catalogue import load_catalogue
from content.eligibility import check_examples
from content.schema_eligibility import CHOICES, EligibilitySpec, Profile

CAMPAIGNS = Path(__file__).resolve().parents[1] / "content" / "campaigns"
GROUPS = {"clinical": {"name": "临床医学类", "majors": ["临床医学"]}}


def spec(rule: dict[str, Any], **extra: Any) -> EligibilitySpec:
    base = {"id": "r", "outcome": "ineligible", "message": "m", "clause": "二"}
    return EligibilitySpec.model_validate(
        {"major_groups": GROUPS, "rules": [{**base, **rule}], **extra})


@pytest.mark.parametrize(("rule", "extra", "complaint"), [
    ({"when": {"birth_date": {"age_over": 35}}}, {}, "reference_date is required"),
    ({"when": {"education": {"age_over": 35}}}, {}, "cannot be used on education"),
    ({"when": {"education": {"in": ["大学"]}}}, {}, "has no value"),
    ({"when": {"major": {"not_in_group": "nursing"}}}, {}, "unknown major group"),
    ({"when": {"height": {"in": ["高"]}}}, {}, "height"),
    ({"when": {"education": {}}}, {}, "has no operator"),
    ({"when": {"education": {"in": ["本科"]}}, "message": "{name}"}, {}, "placeholders"),
    ({"when": {"education": {"in": ["本科"]}}, "next_steps": ["pre_register"]}, {},
     "cannot lead to pre_register"),
    ({"when": {"education": {"in": ["本科"]}}, "next_steps": ["other_batch"],
      "outcome": "conditional"}, {}, "other_batch"),
    ({"when": {"education": {"in": ["本科"]}}},
     {"examples": [{"name": "e", "profile": {}, "verdict": "eligible", "rules": ["x"]}]},
     "unknown rules"),
    ({"when": {"education": {"in": ["本科"]}}},
     {"examples": [{"name": "e", "profile": {"education": "大学"}, "verdict": "eligible"}]},
     "education"),
])
def test_rules_that_cannot_work_are_refused(rule: dict, extra: dict, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        spec(rule, **extra)


def test_a_good_rule_loads_and_names_its_fields() -> None:
    loaded = spec({"when": {"major": {"not_in_group": "clinical"}, "education": {"in": ["本科"]}}})
    assert loaded.fields() == ["education", "major"]


def test_choices_and_profile_agree() -> None:
    for name, values in CHOICES.items():
        for value in values:
            assert getattr(Profile.model_validate({name: value}), name) == value


def _with_examples(slug: str, examples: list[dict[str, Any]]):
    campaign = load_catalogue().get(slug)
    assert campaign is not None and campaign.eligibility is not None
    data = campaign.eligibility.model_dump(by_alias=True)
    data["examples"] = examples
    return campaign.model_copy(update={"eligibility": EligibilitySpec.model_validate(data)})


def test_a_wrong_example_verdict_is_reported() -> None:
    profile = {"education": "本科", "major": "临床医学", "employment": "无", "sponsorship": "无"}
    campaign = _with_examples("fujian-2023", [
        {"name": "本科", "profile": profile, "verdict": "eligible"}])
    problems = check_examples(campaign)
    assert "eligibility example '本科': expected eligible, got ineligible " \
           "(rules fired: education_bachelor_or_above)" in problems



def test_examples_must_exercise_every_rule_and_an_eligible_case() -> None:
    profile = {"education": "本科", "major": "临床医学", "employment": "无", "sponsorship": "无"}
    campaign = _with_examples("fujian-2023", [
        {"name": "本科", "profile": profile, "verdict": "ineligible"}])
    problems = check_examples(campaign)
    assert "eligibility: rule 'grassroots_staff' is not exercised by any example" in problems
    assert not any("education_bachelor_or_above" in p for p in problems)
    assert "eligibility: no example of an eligible applicant" in problems


def test_wrong_expected_rules_and_incomplete_profiles_are_reported() -> None:
    campaign = _with_examples("fujian-2023", [
        {"name": "a", "profile": {"education": "中专", "major": "临床医学", "employment": "无",
                                  "sponsorship": "无"},
         "verdict": "ineligible", "rules": ["major_not_clinical"]},
        {"name": "b", "profile": {"education": "专科"}, "verdict": "eligible"},
    ])
    problems = check_examples(campaign)
    assert ("eligibility example 'a': expected rules ['major_not_clinical'], "
            "got ['education_secondary']") in problems
    assert any(p.startswith("eligibility example 'b': missing profile fields: major") for p in
               problems)


def test_check_content_fails_on_a_wrong_example(tmp_path: Path) -> None:
    text = (CAMPAIGNS / "fujian-2023.yaml").read_text(encoding="utf-8")
    broken = text.replace("      profile: {education: 本科, major: 临床医学, employment: 无, "
                          "sponsorship: 无}\n      verdict: ineligible",
                          "      profile: {education: 本科, major: 临床医学, employment: 无, "
                          "sponsorship: 无}\n      verdict: eligible")
    assert broken != text
    (tmp_path / "fujian-2023.yaml").write_text(broken, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bot.cli", "check-content", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "expected eligible, got ineligible" in run.stdout
    assert "fujian-2023.yaml:" in run.stdout
