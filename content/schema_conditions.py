"""A notice's own conditions: the applicant questions its rules need beyond the common profile.

The common profile (content/schema_eligibility.py ``FIELDS``) covers what every 3+2 notice
asks about: 学历, 专业, 年龄, 执业资格, 工作单位, 选送. A notice may add its own
(全日制或非全日制; 是否具备执业助理医师考试报名资格; 户籍或工作地在本县; 委培单位同意证明).
Each is declared once, under
``eligibility.questions``, and the rules read it like a common field::

    questions:
      - id: study_mode
        label: 学习形式
        text: 您的专科学历是全日制还是非全日制？
        choices: [全日制, {value: 非全日制, words: [业余, 函授, 成人教育, 自考]}]
        clause: 二、招收对象
    rules:
      - id: part_time_without_exam
        when: {study_mode: {in: [非全日制]}, assistant_exam: {in: [否]}}
        outcome: ineligible
        …

What a notice does not regulate is data too: ``eligibility.silent_on`` lists the fields (common
or declared) the notice is silent on, so the bot may say "通知未对…作出规定". A field no rule
reads and not listed there is never described as unrestricted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator, model_validator

from content.schema_base import Id, Strict

# Words an applicant uses for "yes" and "no" when a question's choices are 是 / 否.
YES_NO = {"是": ("是", "有", "具备", "可以", "能"),
          "否": ("否", "没有", "不具备", "无", "不是", "不能")}


class Choice(Strict):
    """One answer of a declared question: its value (also the button's label) and the words
    an applicant may type or ask with for it."""

    value: str = Field(min_length=1, max_length=20, description="全日制 / 非全日制 / 是 / 否")
    words: list[str] = Field(
        default_factory=list,
        description="Other words for it, typed at the button step or said in a question.")


class Question(Strict):
    """An applicant question a notice's rules need: asked in the self-check (and the form),
    accepted in `zhaolu eligibility`'s profile JSON under its id, read from personal questions."""

    id: Id = Field(description="ASCII id: the profile JSON's key (study_mode).")
    label: str = Field(max_length=12, description="Short name: 学习形式, 考试资格.")
    text: str = Field(description="The question as asked: 您的专科学历是全日制还是非全日制？")
    choices: list[Choice] = Field(min_length=2)
    clause: str = Field(description="Where the notice states the condition.")

    @field_validator("choices", mode="before")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        # `choices: [全日制, 非全日制]`: a bare value is a choice without other words.
        if isinstance(value, list):
            return [{"value": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _distinct(self) -> Question:
        values = [c.value for c in self.choices]
        if len(set(values)) != len(values):
            raise ValueError(f"question {self.id}: a choice is listed twice")
        return self

    def values(self) -> list[str]:
        return [c.value for c in self.choices]

    def words(self) -> dict[str, list[str]]:
        """Each value with what names it: the value, its words, and 是/否's common synonyms."""
        return {c.value: [c.value, *c.words, *YES_NO.get(c.value, ())] for c in self.choices}

    def said_words(self) -> dict[str, list[str]]:
        """What names a choice inside a question: its value (two characters or more: 是 and 否
        are in every question) and its own words."""
        return {c.value: [w for w in (c.value, *c.words) if len(w) >= 2] for c in self.choices}


class Silence(Strict):
    """A field the notice says nothing about: the bot then says "通知未对{label}作出规定"."""

    field: str = Field(description="A common profile field (birth_date …) or a question's id.")
    label: str | None = Field(
        default=None, max_length=12,
        description="What the notice is silent on, if not the field's own name: 年龄上限.")


class Open(Strict):
    """A field the notice explicitly leaves open (单位委派人员和社会人员均可报名): said in its
    words."""

    field: str = Field(description="A common profile field (employment …) or a question's id.")
    text: str = Field(description="The notice's words: 单位委派人员和社会人员均可报名。")
    clause: str


def problems(questions: list[Question], silent: list[Silence], common: tuple[str, ...],
             used: set[str], open_on: Sequence[Open] = ()) -> list[str]:
    """What is inconsistent between the declared questions, the silences and the rules."""
    found: list[str] = []
    ids = [q.id for q in questions]
    found += [f"question {i!r} is declared twice" for i in sorted({i for i in ids
                                                                   if ids.count(i) > 1})]
    found += [f"question {i!r} has the name of a common field: choose another id"
              for i in ids if i in common]
    known = set(common) | set(ids)
    for key, items in (("silent_on", silent), ("open_on", open_on)):
        for item in items:
            if item.field not in known:
                found.append(f"{key}: unknown field {item.field!r}")
            elif item.field in used:
                found.append(f"{key}: {item.field!r} is read by a rule: the notice does not "
                             f"leave it open")
    both = sorted({s.field for s in silent} & {o.field for o in open_on})
    found += [f"{f!r} is in silent_on and in open_on: the notice either says nothing on it or "
              f"leaves it open" for f in both]
    found += [f"question {i!r} is read by no rule" for i in ids if i not in used]
    return found


def rule_problems(rule_id: str, name: str, values: list[str], operators: list[str],
                  question: Question) -> list[str]:
    """A rule's condition on a declared question: only in / not_in, over its choices."""
    found = []
    wrong = sorted(op.rstrip("_") for op in set(operators) - {"in_", "not_in"})
    if wrong:
        found.append(f"rule {rule_id}: {wrong} cannot be used on {name} (use in / not_in)")
    unknown = sorted(set(values) - set(question.values()))
    if unknown:
        found.append(f"rule {rule_id}: {name} has no value {unknown} "
                     f"(choices: {', '.join(question.values())})")
    return found
