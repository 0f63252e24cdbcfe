"""check-content's messages in Chinese, each with what to do (issue 13).

Pydantic says what is wrong in English and by error type; authors need to be told, in their
language, how to fix the line. Messages raised by the schema's own checks are Chinese already.
"""

from __future__ import annotations

from typing import Any

_TYPES = {
    "string_type": "应为文字",
    "int_type": "应为整数（如 5）",
    "int_parsing": "应为整数（写阿拉伯数字，如 5；通知没写就写 null）",
    "int_from_float": "应为整数（如 5）",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表（写成 [甲, 乙]，或每行一个“- 甲”）",
    "dict_type": "应为“键: 值”的映射",
    "model_type": "应为“键: 值”的映射",
    "model_attributes_type": "应为“键: 值”的映射",
    "datetime_type": "应为时间，写成 2024-05-20T17:00:00+08:00",
    "datetime_parsing": "不是有效的时间：写成 2024-05-20T17:00:00+08:00（日期要真实存在）",
    "datetime_from_date_parsing": "不是有效的时间：写成 2024-05-20T17:00:00+08:00"
                                  "（日期要真实存在）",
    "date_type": "应为日期，写成 2024-05-06",
    "date_parsing": "不是有效的日期：写成 2024-05-06（日期要真实存在）",
    "date_from_datetime_parsing": "不是有效的日期：写成 2024-05-06（日期要真实存在）",
    "date_from_datetime_inexact": "应为日期，不带时刻：写成 2024-05-06",
    "string_pattern_mismatch": "格式不对：编号（id）只能用小写英文字母、数字和下划线，以字母开头，"
                               "如 applicants_age；slug 用小写英文、数字和 -，如 wuhan-2024",
    "string_too_long": "太长：最多 {max_length} 个字符",
    "string_too_short": "不能为空：通知没有这一项时删除这个键",
    "too_short": "至少要有 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}",
    "literal_error": "只能是 {expected}",
    "enum": "只能是 {expected}",
    "union_tag_invalid": "取值不对：只能是 {expected_tags}",
}


def chinese(kind: str, message: str, ctx: dict[str, Any] | None, value: Any) -> str:
    """The Chinese message for a pydantic error of type `kind` (the English one if unknown)."""
    template = _TYPES.get(kind)
    if template is None:
        return message
    try:
        text = template.format(**(ctx or {}))
    except (KeyError, IndexError):
        text = template.split("{")[0].rstrip("：:，, ")
    if kind == "string_type" and isinstance(value, int | float | bool):
        # YAML reads 2839876 as a number and 0712 as octal: phone numbers must be quoted.
        return f"{text}，现在是数字 {value!r}：加上引号，如 \"{value}\""
    if value not in (None, "") and isinstance(value, str | int | float | bool):
        text += f"（现在是 {value!r}）"
    return text
