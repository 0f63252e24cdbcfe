"""The key reference of content/AUTHORING.md, generated from the schema so it cannot drift.

Every model reachable from `Campaign` becomes a table: each key, whether it is required, what it
takes (types and allowed values read from the annotations) and what it means (the Chinese line
of content/authoring_keys.yaml, else the schema's own description). A key added to the schema
appears here by itself; tests/test_authoring.py fails until AUTHORING.md is regenerated:

    python -m content.authoring          # rewrite the generated block of AUTHORING.md
    python -m content.authoring --check  # exit 1 when the file is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
import types
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from content.schema import SCHEMA_VERSION, SECTION_KEYS, Campaign
from content.texts import default_texts

HERE = Path(__file__).resolve().parent
AUTHORING = HERE / "AUTHORING.md"
BEGIN = "<!-- 以下由 `python -m content.authoring` 从 schema 生成，请勿手改 -->"
END = "<!-- 生成结束 -->"
# Special annotated types, named by their validators' function names.
_NAMED = {"check_url": "网址（http(s)://… 或照通知写域名）",
          "check_phone": "电话号码（加引号，照通知写）"}


def _chinese() -> dict[str, str]:
    return yaml.safe_load((HERE / "authoring_keys.yaml").read_text(encoding="utf-8")) or {}


def models() -> list[type[BaseModel]]:
    """Campaign and every model under it, in the order a file reads."""
    found: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in found:
            return
        found.append(model)
        for info in model.model_fields.values():
            for inner in _inner_models(info.annotation):
                visit(inner)

    visit(Campaign)
    return found


def _inner_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _inner_models(arg)]


def describe_type(annotation: Any, metadata: list[Any] | None = None) -> str:
    """What a key takes, in Chinese: 文字, 整数, 网址 …, 取值：a、b …, X 的列表."""
    for meta in metadata or []:
        name = getattr(getattr(meta, "func", None), "__name__", "")
        if name in _NAMED:
            return _NAMED[name]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return describe_type(args[0], list(args[1:]))
    if origin is typing.Literal:
        return "取值：" + "、".join(f"`{a}`" for a in args)
    if origin in (types.UnionType, typing.Union):
        kinds = [describe_type(a) for a in args if a is not type(None)]
        return "；或 ".join(kinds) + ("；或 `null`" if type(None) in args else "")
    if origin is list:
        return f"列表，每项：{describe_type(args[0])}"
    if origin is dict:
        return f"映射（键 → {describe_type(args[1])}）"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"映射，见 `{annotation.__name__}`"
    return {str: "文字", int: "整数", bool: "`true` 或 `false`",
            date: "日期，如 `2024-05-06`", datetime: "时间，如 `2024-05-20T17:00:00+08:00`",
            }.get(annotation, "任意值" if annotation is Any else str(annotation))


def _key_type(info: FieldInfo) -> str:
    text = describe_type(info.annotation, list(info.metadata))
    textual = text.startswith("文字")
    unit = "个字" if textual else "项"
    for meta in _metadata(info):
        if getattr(getattr(meta, "func", None), "__name__", "") == "check" and textual:
            text += "；不能为空或占位词（无、待定、xxx…）"
        pattern = getattr(meta, "pattern", None)
        if pattern == r"^[a-z][a-z0-9_]*$":
            text += "；编号：小写英文字母开头，只含小写英文、数字和 `_`"
        elif pattern:
            text += f"；格式 `{pattern}`"
        if getattr(meta, "max_length", None):
            text += f"；最多 {meta.max_length} {unit}"
        if getattr(meta, "min_length", None):
            text += f"；至少 {meta.min_length} {unit}"
        if getattr(meta, "ge", None) is not None:
            text += f"；≥ {meta.ge}"
    return text


def _metadata(info: FieldInfo) -> list[Any]:
    """The field's constraints, and those of an Annotated type inside `X | None`."""
    found = list(info.metadata)
    for arg in typing.get_args(info.annotation):
        if typing.get_origin(arg) is typing.Annotated:
            found += list(typing.get_args(arg)[1:])
    return found


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "必填"
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        return "可省略" if value in ([], {}) else f"默认 `{value}`"
    if info.default is None:
        return "可省略"
    value = info.default
    return f"默认 `{str(value).lower() if isinstance(value, bool) else value}`"


def reference() -> str:
    """The generated block: version, section keys and labels, and one table per model."""
    chinese = _chinese()
    texts = default_texts()
    labels = "、".join(f"`{k}` {texts(f'content.section.{k}')}" for k in SECTION_KEYS)
    catalogue_keys = texts.keys()
    extra = [k.removeprefix("content.section.") for k in catalogue_keys
             if k.startswith("content.section.") and k.removeprefix("content.section.")
             not in SECTION_KEYS]
    lines = [BEGIN, "", "## 键参考（自动生成）", "",
             f"当前格式版本：`schema_version: {SCHEMA_VERSION}`。“可省略”的键，通知没有写就不写"
             "（或写 `null` / `[]`），机器人会略去或说“通知未给出”。", "",
             f"菜单的常用分节（`sections` 的键）：{labels}；另有现成名称的："
             + "、".join(f"`{k}` {texts(f'content.section.{k}')}" for k in extra)
             + "。其他键要在 `section_titles` 里给出菜单名称。", ""]
    for model in models():
        name = model.__name__
        lines += [f"### `{name}`", ""]
        if name in chinese:
            lines += [chinese[name], ""]
        lines += ["| 键 | 是否必填 | 取值 | 说明 |", "|---|---|---|---|"]
        for key, info in model.model_fields.items():
            shown = info.alias or key
            meaning = chinese.get(f"{name}.{key}") or (
                f"（英文说明）{info.description}" if info.description else "")
            cell = " ".join(str(meaning).split()).replace("|", "\\|")
            lines.append(f"| `{shown}` | {_default(info)} | "
                         f"{_key_type(info).replace('|', '/')} | {cell} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def updated(text: str) -> str:
    """`text` (AUTHORING.md) with its generated block replaced by the current reference."""
    block = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not block.search(text):
        return text.rstrip("\n") + "\n\n" + reference() + "\n"
    return block.sub(lambda _: reference(), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m content.authoring",
                                     description="Regenerate the key reference of AUTHORING.md.")
    parser.add_argument("--check", action="store_true", help="exit 1 when it is out of date")
    args = parser.parse_args(argv)
    current = AUTHORING.read_text(encoding="utf-8")
    fresh = updated(current)
    if args.check:
        if fresh != current:
            print(f"{AUTHORING}: 键参考已过时，运行 python -m content.authoring 重新生成")
            return 1
        print("ok: AUTHORING.md 键参考是最新的")
        return 0
    AUTHORING.write_text(fresh, encoding="utf-8")
    print(f"wrote {AUTHORING}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
