"""Load one campaign file and say precisely what is wrong with it: file, line, message.

PyYAML's ``safe_load`` forgets where values came from and silently keeps the last of two equal
keys, so we compose the node tree ourselves, build plain Python values from it, and keep a map
from each value's path (``("plan", "bases", 0, "quota")``) to its line. Pydantic's errors carry
the same paths, so each one lands on the line of the offending key (or of the nearest parent
that exists, when a key is missing).
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from content.loader_messages import chinese
from content.schema import Campaign
from content.schema_version import upgrade, upgrade_advice

Loc = tuple[str | int, ...]
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Timestamps stay strings: pydantic parses them and reports a bad date with its own message, and
# a date-only value becomes a datetime at midnight instead of a `date` pydantic would refuse.
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True, order=True)
class ContentIssue:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else \
            f"{self.file}: {self.message}"


class ContentError(Exception):
    """One or more campaign files are invalid; ``issues`` says where and why."""

    def __init__(self, issues: list[ContentIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


@dataclass
class LoadedFile:
    """A campaign file's outcome: the campaign when valid, and every issue found."""

    path: Path
    campaign: Campaign | None = None
    issues: list[ContentIssue] = field(default_factory=list)
    lines: dict[Loc, int] = field(default_factory=dict)
    # Advice that does not make the file invalid (an older schema_version, read as today's).
    hints: list[ContentIssue] = field(default_factory=list)

    @property
    def display(self) -> str:
        return display_path(self.path)

    def line_of(self, loc: Loc) -> int:
        """The line of `loc`, or of its nearest parent that exists in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1

    def add(self, line: int | None, message: str) -> None:
        self.issues.append(ContentIssue(self.display, line, message))


def display_path(path: Path) -> str:
    """Relative to the working directory when under it: short enough to click in a terminal."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def load_campaign(path: Path) -> Campaign:
    """The campaign in `path`; raises ContentError listing every issue in the file."""
    loaded = check_file(path)
    if loaded.issues or loaded.campaign is None:
        raise ContentError(loaded.issues)
    return loaded.campaign


def check_file(path: Path) -> LoadedFile:
    loaded = LoadedFile(path=Path(path))
    try:
        text = loaded.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        loaded.add(None, f"无法读取：{exc}")
        return loaded
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark else None
        loaded.add(where, f"YAML 语法错误：{_yaml_problem(exc)}"
                          "（检查缩进和冒号；以特殊字符开头的文字加引号）")
        return loaded
    if node is None:
        loaded.add(1, "文件是空的：用 zhaolu new-campaign SLUG 生成骨架再填写")
        return loaded
    data = _Builder(loaded).build(node, ())
    if not isinstance(data, dict):
        loaded.add(node.start_mark.line + 1,
                   "顶层应为“键: 值”的映射（slug: …、name: …），不是列表或文字")
        return loaded
    _check_slug(loaded, data)
    for loc, blank in _blanks(data, ()):
        loaded.add(loaded.line_of(loc), f"{_dotted(loc)}：还没填写 {blank}：换成通知里的内容"
                                        "（标着“可删”的，通知没有就删掉这一行）")
    try:
        declared, notes = upgrade(data)
    except ValueError as exc:
        loaded.add(loaded.line_of(("schema_version",)), str(exc))
        return loaded
    advice = upgrade_advice(declared, notes)
    if advice:
        loaded.hints.append(ContentIssue(loaded.display, 1, advice))
    try:
        loaded.campaign = Campaign.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            if isinstance(error.get("input"), str) and BLANK in error["input"]:
                continue  # reported once above, as a blank to fill in
            loc, message = describe_error(error)
            loaded.add(loaded.line_of(loc), message)
    loaded.issues.sort(key=lambda i: i.line or 0)
    return loaded


BLANK = "【填写"  # the blanks of `zhaolu new-campaign`'s skeleton


def _blanks(value: Any, loc: Loc) -> list[tuple[Loc, str]]:
    """Every skeleton blank left in the file's values, with its path."""
    if isinstance(value, str):
        return [(loc, value)] if BLANK in value else []
    if isinstance(value, dict):
        return [b for k, v in value.items() for b in _blanks(v, (*loc, k))]
    if isinstance(value, list):
        return [b for i, v in enumerate(value) for b in _blanks(v, (*loc, i))]
    return []


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    parts = [exc.context, exc.problem]
    return "; ".join(p for p in parts if p) or str(exc)


def _check_slug(loaded: LoadedFile, data: dict[str, Any]) -> None:
    slug = data.get("slug")
    if isinstance(slug, str) and slug != loaded.path.stem:
        loaded.add(loaded.line_of(("slug",)),
                   f"slug “{slug}”与文件名 “{loaded.path.name}”不一致：把文件改名为 {slug}.yaml，"
                   "或改 slug")


class _Builder:
    """Builds plain values from YAML nodes, recording lines and duplicate keys as it goes."""

    def __init__(self, loaded: LoadedFile) -> None:
        self.loaded = loaded
        self.constructor = yaml.constructor.SafeConstructor()
        self.active: set[int] = set()

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.loaded.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:  # an alias inside its own anchor
            self.loaded.add(node.start_mark.line + 1,
                            "别名引用了自身（recursive alias）：删去这个 *别名")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
            return self._mapping(node, loc)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.loaded.add(node.start_mark.line + 1, f"YAML 取值错误：{exc.problem}")
            return node.value

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                self.loaded.add(line,
                                "只支持普通的键（不能用 '<<' 合并或复杂键）：把内容直接写出来")
                continue
            # Raw text: `yes:` or `2023:` must stay the key the author typed.
            key = key_node.value
            if key in first_line:
                self.loaded.add(line, f"重复的键 “{key}”（第一次在第 {first_line[key]} 行）："
                                      "YAML 只会保留最后一个，请合并或删去一个")
            first_line.setdefault(key, line)
            self.loaded.lines[(*loc, key)] = line
            result[key] = self.build(value_node, (*loc, key))
        return result


def describe_error(error: Any) -> tuple[Loc, str]:
    """A pydantic error as (path in the file, message an author can act on)."""
    loc: Loc = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    loc = (*loc, *getattr(cause, "loc", ()))
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        return loc[:-1], (f"{_dotted(loc[:-1]) or '顶层'}：缺少必填键 “{loc[-1]}”，请照通知补上"
                          "（各键的说明见 content/AUTHORING.md）")
    if kind == "extra_forbidden":
        return loc, f"{_dotted(loc[:-1]) or '顶层'}：未知的键 “{loc[-1]}”" + _hint(loc)
    value = error.get("input")
    if isinstance(cause, Exception):
        message = str(cause)
    else:
        message = chinese(kind, message, error.get("ctx"), value)
    return loc, f"{_dotted(loc) or '顶层'}：{message}"


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _hint(loc: Loc) -> str:
    known = _fields_at(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"：是不是想写 “{close[0]}”？"
    return f"：这里可用的键有 {', '.join(known)}" if known else ""


def _fields_at(loc: Loc) -> list[str]:
    """The keys the schema allows at `loc`, found by walking Campaign's annotations."""
    current: Any = Campaign
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return []
            current = info.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` as X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation
