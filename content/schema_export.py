"""Extra export tables a notice asks bases for (Fujian's 汇总表), described as data.

A campaign may list tables under ``exports:``; each is offered in /staff → 📤 导出/导入 beside the
full list, built sheet per base like it, from a fixed vocabulary of fields (no code per
province). An unknown field or status is a content error that `zhaolu check-content` names.

    exports:
      - id: summary
        title: 培训对象汇总表（含未报到名单及原因）
        statuses: [admitted, reported, gave_up]
        columns:
          - {header: 姓名, field: name}
          - {header: 未报到原因, field: status_reason}
        clause: 五、报到及签订协议（三）
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, field_validator, model_validator

from content.schema_base import Id, LocatedError, Strict, dupes, no_split_chinese

# The fields a column may show. What each holds (bot/xlsx_export.py fills them):
#   receipt_no 回执号 · name 姓名 · gender 性别 (from the ID number) · birth_date 出生日期 ·
#   id_number 身份证号 (masked for base staff) · phone 手机号 · school 毕业院校 ·
#   graduation_year 毕业年份 · education 学历 · major 专业 · qualification 执业资格 ·
#   person_type 人员类型 · base 培训基地 (first choice) · bases 意向基地 (all, in order) ·
#   adjustment 接受调剂 · status 状态 · status_reason 原因 · verdict 自查结果 ·
#   conditions 条件说明 · created_at 预登记时间 · updated_at 更新时间
ExportField = Literal[
    "receipt_no", "name", "gender", "birth_date", "id_number", "phone", "school",
    "graduation_year", "education", "major", "qualification", "person_type", "base", "bases",
    "adjustment", "status", "status_reason", "verdict", "conditions", "created_at", "updated_at",
]
EXPORT_FIELDS: tuple[str, ...] = get_args(ExportField)
# Every status a pre-registration can hold (storage/registrations.py; a test keeps them equal).
StatusId = Literal[
    "pre_registered", "officially_registered", "review_passed", "review_failed", "admitted",
    "not_admitted", "reported", "gave_up", "withdrawn",
]
STATUS_IDS: tuple[str, ...] = get_args(StatusId)
MAX_HEADER = 40


class ExportColumn(Strict):
    header: str = Field(min_length=1, max_length=MAX_HEADER, description="The column's heading.")
    field: ExportField = Field(description=f"What it shows: {', '.join(EXPORT_FIELDS)}.")

    _text = field_validator("header")(no_split_chinese)


class ExportTable(Strict):
    """One table for the bases to fill in or report, as the notice asks."""

    id: Id
    title: str = Field(min_length=1, max_length=60, description="Button and file name.")
    statuses: list[StatusId] = Field(min_length=1, description="Whose rows it lists.")
    columns: list[ExportColumn] = Field(min_length=1)
    note: str | None = Field(default=None, description="Shown before the file: what it is for.")
    clause: str

    _text = field_validator("title")(no_split_chinese)

    @model_validator(mode="after")
    def _distinct(self) -> ExportTable:
        if twice := dupes(c.header for c in self.columns):
            raise LocatedError(("columns",), f"headers used twice: {twice}")
        if twice := dupes(self.statuses):
            raise LocatedError(("statuses",), f"statuses listed twice: {twice}")
        return self
