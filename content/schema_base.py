"""What every part of the campaign schema shares: strict models, ids, errors that name a line.

Slugs, ids and section keys travel in buttons' callback data, which Telegram caps at 64 bytes:
"m:<slug>:<section>" is the longest that holds two of them (2 + 32 + 1 + 24 = 59).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

MAX_SLUG = 32
MAX_ID = 32
MAX_SECTION_KEY = 24
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SectionKey = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=MAX_SECTION_KEY)]
# A stable key, unique per campaign within its kind (fact, base, rule, reminder …).
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=MAX_ID)]

# A YAML folded block (`>`) joins its lines with a space, which splits Chinese text in two.
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’]"
_SPLIT_CHINESE = re.compile(f"{_CJK} +{_CJK}")


class LocatedError(ValueError):
    """A cross-field check's error that names the path of the value at fault.

    Pydantic keeps the raised exception in the error's ``ctx``; the loader reads ``loc`` from it,
    so a problem found by a whole-campaign check still points at the right line.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def no_split_chinese(value: str) -> str:
    if _SPLIT_CHINESE.search(value):
        raise ValueError("汉字之间有空格（space between Chinese characters，是不是用了折叠块 "
                         "`>`？）：把这段文字写在一行里")
    return value


def dupes(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({v for v in values if v in seen or seen.add(v)})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# What authors type when a notice is silent and a field seems to want a value. Silence is written
# by leaving the key out (or `null`, `[]`): a placeholder would be shown to applicants as a fact.
PLACEHOLDERS = frozenset({
    "无", "暂无", "没有", "待定", "未定", "未知", "不详", "略", "空", "见通知", "同上",
    "-", "--", "—", "/", "?", "？", "x", "xx", "xxx", "tbd", "todo", "n/a", "na", "none",
    "null", "nil", "...", "…", "……",
})
# A sentence saying the value is missing, where the value should be (新闻未给出电话, 网址暂无).
_SAYS_MISSING = re.compile(r"未给出|没有给出|未提供|没有提供|未写明|没有写明|未公布|暂无|待定|不详|"
                           r"未注明|未说明|见原文|请填写|待填|请补充")
_FILL_MARK = re.compile(r"[＿_]{2,}|【.*?】|<.*?>|\bTODO\b|\bTBD\b|X{3,}|x{3,}", re.IGNORECASE)


def placeholder_problem(value: str) -> str | None:
    """Why `value` is no real value (empty, a placeholder, a blank to fill in), else None."""
    stripped = value.strip()
    if not stripped:
        return "空字符串"
    if stripped.lower() in PLACEHOLDERS:
        return f"占位词“{stripped}”"
    if _FILL_MARK.search(stripped):
        return f"未填写的空白“{stripped}”"
    if _SAYS_MISSING.search(stripped):
        return f"“{stripped}”不是一个值，而是在说通知没有给出"
    return None


def nonblank(what: str, fix: str) -> Any:
    """A free text: refused when empty or a bare placeholder (it may say what is missing)."""

    def check(value: str) -> str:
        stripped = value.strip()
        if not stripped or stripped.lower() in PLACEHOLDERS:
            raise ValueError(f"{what}是{'空字符串' if not stripped else f'占位词“{stripped}”'}："
                             f"{fix}")
        return value

    return AfterValidator(check)


def given(what: str, fix: str) -> Any:
    """A text that names a fact of the notice: refused when it is empty or a placeholder."""

    def check(value: str) -> str:
        problem = placeholder_problem(value)
        if problem:
            raise ValueError(f"{what}是{problem}：{fix}")
        return value

    return AfterValidator(check)


_URL = re.compile(r"^(https?://)?([a-z0-9-]+\.)+[a-z]{2,}(:\d+)?([/?#][^\s]*)?$", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def check_url(value: str) -> str:
    """An http(s) address, or a host as notices print it (fjzlqk.wsglw.net)."""
    problem = placeholder_problem(value)
    fix = "通知没有网址时删除 url（或写 url: null），渠道名写在 channel"
    if problem:
        raise ValueError(f"网址是{problem}：{fix}")
    stripped = value.strip()
    if _SCHEME.match(stripped) and not stripped.lower().startswith(("http://", "https://")):
        raise ValueError(f"网址“{stripped}”不是 http(s) 网址：写成 https://… 或照通知写域名")
    if stripped != value or not _URL.match(stripped):
        raise ValueError(f"“{value}”不是网址：写 https://… 或照通知写域名"
                         f"（如 www.hbwsrc.cn）；{fix}")
    return value


# A phone as notices print it: 0712-2839876, 400-888-0052, 13812345678, (027)87654321转8001.
_PHONE = re.compile(r"^(\+?86[ -]?)?[(（]?\d[\d()（） -]{3,}\d(转\d{1,6})?$")


def check_phone(value: str) -> str:
    fix = "通知没有电话：删除 phones，或写 phones: [] 并在 note 里说明"
    problem = placeholder_problem(value)
    if problem:
        raise ValueError(f"电话是{problem}：{fix}")
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE.match(value) or not 5 <= digits <= 20:
        raise ValueError(f"“{value}”不是电话号码（只能有数字、-、括号、空格和“转”分机）；{fix}")
    return value


WebAddress = Annotated[str, AfterValidator(check_url)]
Phone = Annotated[str, AfterValidator(check_phone)]
