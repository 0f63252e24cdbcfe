"""Campaign file versions: what changed between them, and how an older file is read today.

A published campaign file must never silently change meaning when the schema does. Each file
says which format it was written for (`schema_version:`; a file without it is version 1). The
loader reads an older file by applying each step's upgrade to its data, so old files keep
working, and `zhaolu check-content` says what to change to bring the file up to date. A file of
a newer version than this code knows is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from content.schema import SCHEMA_VERSION

Data = dict[str, Any]


@dataclass(frozen=True)
class Step:
    """From version `version - 1` to `version`: what changed, and the edit that keeps meaning."""

    version: int
    changes: str
    upgrade: Callable[[Data], list[str]]  # edits data in place; returns what it did, in Chinese


def _to_2(data: Data) -> list[str]:
    # Version 1 read a missing registration.max_choices as 1: the bot announced "选择1个培训基地"
    # even when the notice never said so. Version 2 reads it as silence.
    registration = data.get("registration")
    if isinstance(registration, dict) and "max_choices" not in registration:
        registration["max_choices"] = 1
        return ["registration 下没有 max_choices，旧格式当作 1：通知只许选1个基地就写 "
                "max_choices: 1，通知没说就保持不写"]
    return []


STEPS = (
    Step(2, "通知没有的事实可以不写（url、channel、phones、contacts、bases、steps、max_choices、"
            "title、issuer、published）；max_choices 不写表示通知没说，不再默认 1；"
            "网址、电话不得为空或占位词。", _to_2),
)
assert STEPS[-1].version == SCHEMA_VERSION


def upgrade(data: Data) -> tuple[int, list[str]]:
    """Bring `data` (a file's plain values) to the current version in place.

    Returns the version the file declared and the Chinese notes of what reading it as today's
    format assumed. Raises ValueError (a Chinese message) for a version this code does not know.
    """
    declared = data.get("schema_version", 1)
    if isinstance(declared, bool) or not isinstance(declared, int) or declared < 1:
        raise ValueError(f"schema_version 应为 1 到 {SCHEMA_VERSION} 的整数（现在是 {declared!r}）")
    if declared > SCHEMA_VERSION:
        raise ValueError(f"schema_version {declared} 比本程序认识的 {SCHEMA_VERSION} 新："
                         "请更新 zhaolu，或按本版 AUTHORING.md 改写后写 "
                         f"schema_version: {SCHEMA_VERSION}")
    notes: list[str] = []
    for step in STEPS:
        if step.version > declared:
            notes += step.upgrade(data)
    data["schema_version"] = SCHEMA_VERSION
    return declared, notes


def upgrade_advice(declared: int, notes: list[str]) -> str | None:
    """What check-content says about an older file (None for a current one)."""
    if declared >= SCHEMA_VERSION:
        return None
    done = "；".join(notes) if notes else "其他无需改动"
    return (f"提示：旧格式（schema_version {declared}），仍可使用。升级：开头加 "
            f"schema_version: {SCHEMA_VERSION}；{done}")
