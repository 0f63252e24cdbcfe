"""The pre-registration form's options of a campaign file (owned by the registration feature).

A notice decides what the form asks: which person types it recruits (and what to tell the others),
whether the applicant picks a base from the plan or the notice lists none, whether 调剂 is asked,
and which material rules may be pre-checked. The number of base choices and the 调剂 question
come from the campaign's ``registration`` section, so they are stated once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from bot.clock import to_shanghai
from content.schema_base import Strict

if TYPE_CHECKING:
    from content.schema import Campaign

# Values of the eligibility profile (issue 4 names them; they are the interface).
Employment = Literal["无", "基层医疗卫生机构", "其他单位"]
Sponsorship = Literal["无", "农村订单定向", "在职选送"]


class PersonType(Strict):
    """One answer to 人员类型, as the notice names it."""

    id: Literal["social", "unit", "order", "inservice"] = Field(
        description="social 社会人, unit 单位人, order 订单定向, inservice 在职 (button data)."
    )
    label: str = Field(description="Button label: 社会人, 单位人, 订单定向, 在职人员 …")
    description: str = Field(description="One line telling applicants which type they are.")
    accepted: bool = True
    message: str | None = Field(
        default=None,
        description="Refused: why and where to go instead. Accepted: a condition to state.",
    )
    clause: str
    employment: Employment = "无"
    sponsorship: Sponsorship = "无"

    @model_validator(mode="after")
    def _refusal_explained(self) -> PersonType:
        if not self.accepted and not self.message:
            raise ValueError(f"person type {self.id}: a refused type needs a message")
        return self


class FormSpec(Strict):
    # Left out, both are taken from the notice when the campaign is loaded (Campaign fills them):
    # on a loaded campaign they are never None.
    opens: datetime | None = Field(
        default=None, description="Pre-registration opens; left out: the notice's publication, "
                                  "or the official window's opening.")
    closes: datetime | None = Field(
        default=None, description="Pre-registration closes; left out: the official window's close.")
    receipt_prefix: str = Field(
        pattern=r"^[A-Z][A-Z0-9]{1,15}$", description="XG2023 gives receipts XG2023-0001 …"
    )
    person_types: list[PersonType] = Field(min_length=1)
    base_choice: Literal["pick", "none"] = Field(
        description="pick: choose from plan.bases (quotas shown); none: the notice lists no bases."
    )
    plan_note: str | None = Field(
        default=None, description="With base_choice none: where the plan is and how to choose."
    )
    adjustment_note: str | None = Field(
        default=None, description="What accepting or refusing 调剂 means, shown with the question."
    )
    next_steps_notes: list[str] = Field(
        default_factory=list, description="Extra warnings after the official steps (PC only …)."
    )
    materials: list[str] = Field(
        default_factory=list, description="ids of registration.materials that may be pre-checked."
    )
    contact_ids: list[str] = Field(
        default_factory=list,
        description="Whom to ask about a refused or duplicate pre-registration (default: every "
                    "contact; none in the notice: its issuer).")
    clause: str = Field(description="Clause the form's rules come from, e.g. 四、学员报名.")
    example_school: str | None = Field(
        default=None, max_length=30,
        description="A school of the campaign's region shown as the example answer; none: no "
                    "school is named (never one of another province).")

    @field_validator("opens", "closes")
    @classmethod
    def _shanghai(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_shanghai(value)

    @model_validator(mode="after")
    def _consistent(self) -> FormSpec:
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValueError("form.closes 必须晚于 form.opens：核对预登记的开始和截止时间")
        ids = [p.id for p in self.person_types]
        if len(set(ids)) != len(ids):
            raise ValueError("form.person_types lists a type twice")
        if not any(p.accepted for p in self.person_types):
            raise ValueError("form.person_types accepts nobody")
        return self

    def is_open(self, now: datetime) -> bool:
        """Open from `opens` up to and including `closes`."""
        assert self.opens is not None and self.closes is not None  # filled by Campaign
        return self.opens <= now <= self.closes

    def person_type(self, type_id: str) -> PersonType | None:
        return next((p for p in self.person_types if p.id == type_id), None)

    def plan_text(self, campaign: Campaign) -> str | None:
        """Where the applicant finds the plan when the form does not offer bases."""
        return self.plan_note or campaign.plan.where_published

    def problems(self, campaign: Campaign) -> list[str]:
        """References into the rest of the campaign that do not resolve (for check-content)."""
        found: list[str] = []
        rule_ids = {m.id for m in campaign.registration.materials}
        found += [f"form.materials：没有这个材料 {m!r}（unknown material rule）："
                  "写 registration.materials 里的 id" for m in self.materials
                  if m not in rule_ids]
        found += [f"form.contact_ids：没有这个联系人 {c!r}：写 contacts 里的 id"
                  for c in self.contact_ids if campaign.contact(c) is None]
        if self.base_choice == "pick" and not campaign.plan.bases:
            found.append("form.base_choice 是 pick，但 plan.bases 是空的："
                         "通知没有列出基地就写 base_choice: none")
        window_closes = campaign.registration.window.closes
        if window_closes is not None and self.closes > window_closes:
            found.append("form.closes 晚于 registration.window.closes："
                         "预登记应在正式报名截止前结束")
        return found
