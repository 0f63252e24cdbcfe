"""Eligibility rules of a campaign file (owned by the eligibility feature).

Rules are data over one fixed applicant profile (the names in :data:`FIELDS` are an interface,
also for content authors). A rule fires when every condition of its ``when`` holds; it then makes
the verdict ``ineligible`` or ``conditional`` and names the clause it comes from::

    - id: age_over_35
      when: {birth_date: {age_over: 35}}     # 35周岁以下 includes 35: fires from 36 on
      outcome: ineligible
      message: 按{reference_date}计算，您{age}周岁，超过35周岁。
      clause: 二、招录对象

Operators: ``in`` / ``not_in`` (closed sets), ``equals`` (the yes/no field), ``age_over`` /
``age_under`` (whole years at ``reference_date``), ``in_group`` / ``not_in_group`` (major groups
declared under ``major_groups``). Messages may use {age}, {reference_date} and {major}.
"""

from __future__ import annotations

import re
import string
from datetime import date
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from content.schema_base import Id, Strict
from content.schema_conditions import Open, Question, Silence, problems, rule_problems

FieldName = Literal[
    "education", "major", "birth_date", "qualification", "scope_includes_gp", "employment",
    "sponsorship",
]
# Asking order in the chat; also the order missing fields are reported in.
FIELDS: tuple[str, ...] = (
    "education", "major", "birth_date", "qualification", "scope_includes_gp", "employment",
    "sponsorship",
)
CHOICES: dict[str, tuple[str, ...]] = {
    "education": ("中专", "专科", "本科", "硕士", "博士"),
    "qualification": ("无", "执业助理医师", "执业医师"),
    "employment": ("无", "基层医疗卫生机构", "其他单位"),
    "sponsorship": ("无", "农村订单定向", "在职选送"),
}
NextStepKind = Literal["pre_register", "contact", "other_batch"]
MESSAGE_PLACEHOLDERS = frozenset({"age", "reference_date", "major"})
# Words applicants and content authors use for the same level.
EDUCATION_ALIASES = {"大专": "专科", "高职": "专科", "高职高专": "专科", "高职专科": "专科",
                     "研究生": "硕士"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Profile(Strict):
    """An applicant's answers; a field left out (None) is unknown, never guessed."""

    education: Literal["中专", "专科", "本科", "硕士", "博士"] | None = None
    major: str | None = Field(default=None, min_length=1, max_length=40)
    birth_date: date | None = None
    qualification: Literal["无", "执业助理医师", "执业医师"] | None = None
    scope_includes_gp: bool | None = None
    employment: Literal["无", "基层医疗卫生机构", "其他单位"] | None = None
    sponsorship: Literal["无", "农村订单定向", "在职选送"] | None = None
    # The answers to the campaign's own questions (content/schema_conditions.py), by id.
    conditions: dict[str, str] = Field(default_factory=dict)

    @field_validator("education", mode="before")
    @classmethod
    def _education_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return EDUCATION_ALIASES.get(value, value)
        return value

    @field_validator("major", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("birth_date", mode="before")
    @classmethod
    def _iso_only(cls, value: Any) -> Any:
        # pydantic would read 19900102 as a Unix timestamp: accept YYYY-MM-DD or a date only.
        if isinstance(value, date) or value is None:
            return value
        if isinstance(value, str) and ISO_DATE.match(value.strip()):
            return value.strip()
        raise ValueError("birth_date must be YYYY-MM-DD")

    @field_validator("birth_date")
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        if value is not None and value.year < 1900:
            raise ValueError("birth_date before 1900")
        return value

    def answers(self) -> dict[str, Any]:
        """The given fields, JSON-ready (dates as YYYY-MM-DD); the campaign's own questions
        under their ids, beside the common fields."""
        given = self.model_dump(mode="json", exclude_none=True, exclude={"conditions"})
        return {**given, **self.conditions}

    def value(self, name: str) -> Any:
        """A common field's value or the answer to the campaign's question `name` (None: not
        known)."""
        return getattr(self, name) if name in FIELDS else self.conditions.get(name)


class Aliased(Strict):
    """Rule parts that spell a Python keyword in YAML (``in``) by its alias."""

    model_config = ConfigDict(populate_by_name=True)


class Condition(Aliased):
    """Operators on one field; all that are given must hold."""

    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None
    equals: bool | None = None
    age_over: int | None = Field(default=None, ge=0, le=120)
    age_under: int | None = Field(default=None, ge=0, le=120)
    in_group: str | None = None
    not_in_group: str | None = None

    def operators(self) -> list[str]:
        return [name for name, value in self if value is not None]

    def groups(self) -> list[str]:
        return [g for g in (self.in_group, self.not_in_group) if g is not None]


# Which operators make sense on which field.
ALLOWED_OPERATORS: dict[str, frozenset[str]] = {
    **{name: frozenset({"in_", "not_in"}) for name in CHOICES},
    "major": frozenset({"in_group", "not_in_group"}),
    "birth_date": frozenset({"age_over", "age_under"}),
    "scope_includes_gp": frozenset({"equals"}),
}


class Rule(Aliased):
    id: Id
    # A common field (FieldName) or the id of one of the campaign's questions.
    when: dict[str, Condition] = Field(min_length=1)
    outcome: Literal["ineligible", "conditional"]
    message: str = Field(description="Plain text; {age}, {reference_date}, {major} allowed.")
    clause: str
    next_steps: list[NextStepKind] = Field(default_factory=lambda: ["contact"])

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        for name, condition in self.when.items():
            ops = condition.operators()
            if not ops:
                raise ValueError(f"rule {self.id}: condition on {name} has no operator")
            if name not in FIELDS:
                continue  # a campaign's own question: checked by EligibilitySpec
            wrong = set(ops) - ALLOWED_OPERATORS[name]
            if wrong:
                shown = sorted(op.rstrip("_") for op in wrong)
                raise ValueError(f"rule {self.id}: {shown} cannot be used on {name}")
            for values in (condition.in_, condition.not_in):
                unknown = set(values or ()) - set(CHOICES.get(name, ()))
                if unknown:
                    raise ValueError(f"rule {self.id}: {name} has no value {sorted(unknown)}")
        fields = {f for _, f, _, _ in string.Formatter().parse(self.message) if f is not None}
        if fields - MESSAGE_PLACEHOLDERS:
            raise ValueError(f"rule {self.id}: unknown placeholders {sorted(fields)}")
        if self.outcome == "ineligible" and "pre_register" in self.next_steps:
            raise ValueError(f"rule {self.id}: an ineligible verdict cannot lead to pre_register")
        return self


class MajorGroup(Aliased):
    name: str = Field(description="As the notice says: 临床医学类.")
    majors: list[str] = Field(min_length=1, description="Recognised majors, simplified Chinese.")
    directions: bool = Field(
        default=True, description="Also a listed major with a direction: 临床医学（全科医学方向）."
    )


class Note(Aliased):
    """A condition every applicant must meet that the profile does not ask about."""

    text: str
    clause: str


class OtherBatch(Aliased):
    name: str = Field(description="单位人批次")
    text: str = Field(description="When and how, as the notice says: 8月进行，具体要求另行通知.")
    clause: str


class Example(Aliased):
    name: str
    profile: Profile
    verdict: Literal["eligible", "ineligible", "conditional"]
    rules: list[str] | None = Field(default=None, description="Exactly these rules fire.")
    clause: str | None = Field(default=None, description="The clause the example illustrates.")


class EligibilitySpec(Strict):
    reference_date: date | None = Field(
        default=None, description="The day ages are computed at (required by age rules)."
    )
    reference_note: str | None = Field(
        default=None, description="Why this day, shown with the age question and verdict."
    )
    major_groups: dict[str, MajorGroup] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)
    eligible_note: Note | None = None
    other_batch: OtherBatch | None = None
    contact_ids: list[str] = Field(default_factory=list, description="Whom to ask about it.")
    examples: list[Example] = Field(default_factory=list)
    questions: list[Question] = Field(
        default_factory=list, description="The notice's own conditions: applicant questions its "
                                          "rules need beyond the common fields.")
    silent_on: list[Silence] = Field(
        default_factory=list,
        description="Fields the notice says nothing about (通知未对…作出规定).")
    open_on: list[Open] = Field(
        default_factory=list,
        description="Fields the notice explicitly leaves open, with its words (均可报名).")

    @model_validator(mode="before")
    @classmethod
    def _example_conditions(cls, data: Any) -> Any:
        # An example's profile writes the campaign's own questions beside the common fields,
        # as `zhaolu eligibility` takes them: {education: 专科, study_mode: 非全日制}.
        if not isinstance(data, dict) or not isinstance(data.get("examples"), list):
            return data
        ids = {q.get("id") for q in data.get("questions") or () if isinstance(q, dict)}
        examples = []
        for example in data["examples"]:
            profile = example.get("profile") if isinstance(example, dict) else None
            if isinstance(profile, dict) and ids & set(profile):
                own = {k: v for k, v in profile.items() if k in ids}
                rest = {k: v for k, v in profile.items() if k not in ids}
                example = {**example, "profile": {**rest, "conditions": own}}
            examples.append(example)
        return {**data, "examples": examples}

    @model_validator(mode="after")
    def _references(self) -> EligibilitySpec:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids used twice: {dupes}")
        asked = {q.id: q for q in self.questions}
        found = problems(self.questions, self.silent_on, FIELDS,
                         {name for rule in self.rules for name in rule.when}, self.open_on)
        for rule in self.rules:
            for name, condition in rule.when.items():
                if name not in FIELDS and name not in asked:
                    found.append(f"rule {rule.id}: unknown field {name!r} (common fields: "
                                 f"{', '.join(FIELDS)}; or declare it under questions)")
                elif name in asked:
                    values = [*(condition.in_ or ()), *(condition.not_in or ())]
                    found += rule_problems(rule.id, name, values, condition.operators(),
                                           asked[name])
                unknown = set(condition.groups()) - set(self.major_groups)
                if unknown:
                    raise ValueError(f"rule {rule.id}: unknown major group {sorted(unknown)}")
                if name == "birth_date" and self.reference_date is None:
                    raise ValueError(f"rule {rule.id} uses age: reference_date is required")
            if "other_batch" in rule.next_steps and self.other_batch is None:
                raise ValueError(f"rule {rule.id} points to other_batch, which is not described")
        for example in self.examples:
            for name, value in example.profile.conditions.items():
                if name in asked and value not in asked[name].values():
                    found.append(f"example {example.name!r}: {name} has no value {value!r}")
            unknown = set(example.rules or ()) - set(ids)
            if unknown:
                raise ValueError(f"example {example.name!r} names unknown rules {sorted(unknown)}")
        if found:
            raise ValueError("; ".join(found))
        return self

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def fields(self) -> list[str]:
        """Profile fields the rules read, in asking order: the common ones, then the
        campaign's own questions in their declared order."""
        used = {name for rule in self.rules for name in rule.when}
        return [name for name in self.order() if name in used]

    def order(self) -> list[str]:
        """Every field in asking order: the common ones, then the campaign's questions."""
        return [*FIELDS, *(q.id for q in self.questions)]

    def question(self, field: str) -> Question | None:
        return next((q for q in self.questions if q.id == field), None)

    def silence(self, field: str) -> Silence | None:
        return next((s for s in self.silent_on if s.field == field), None)

    def left_open(self, field: str) -> Open | None:
        return next((o for o in self.open_on if o.field == field), None)
