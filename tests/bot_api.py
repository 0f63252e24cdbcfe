"""Validate outgoing Bot API requests against the official description (Bot API 10.1).

The description is a fixture inside the project (tests/fixtures/bot_api.json, extracted from the
published JSON spec: method and type names, fields, which are required); tests never read
anything outside the project.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bot_api.json"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "blockquote", "tg-spoiler", "span", "tg-emoji", "tg-time"}
MARKUP_TYPES = {"inline_keyboard": "InlineKeyboardMarkup", "keyboard": "ReplyKeyboardMarkup",
                "remove_keyboard": "ReplyKeyboardRemove", "force_reply": "ForceReply"}
BUTTON_TYPES = {"InlineKeyboardMarkup": "InlineKeyboardButton",
                "ReplyKeyboardMarkup": "KeyboardButton"}
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-z-]+=\"[^\"]*\")*)\s*>")
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


@cache
def spec() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def problems(method: str, params: dict[str, Any]) -> list[str]:
    """Everything wrong with one request; empty when Telegram would accept its form."""
    description = spec()["methods"].get(method)
    if description is None:
        return [f"{method}: no such Bot API method"]
    found = _fields(method, description["fields"], params)
    html_mode = params.get("parse_mode") == "HTML"
    for key, limit in (("text", TEXT_LIMIT), ("caption", CAPTION_LIMIT)):
        value = params.get(key)
        if isinstance(value, str):
            plain = _visible(value) if html_mode else value
            if not plain.strip() and key == "text":
                found.append(f"{method}: empty text")
            if len(plain) > limit:
                found.append(f"{method}: {key} has {len(plain)} characters, limit {limit}")
            if html_mode:
                found += [f"{method}: {p}" for p in html_problems(value)]
    markup = params.get("reply_markup")
    if isinstance(markup, dict):
        found += _markup(method, markup)
    return found


def _fields(where: str, fields: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    names = {f["name"] for f in fields}
    found = [f"{where}: unknown parameter {k!r}" for k in params if k not in names]
    found += [f"{where}: missing required {f['name']!r}" for f in fields
              if f["required"] and f["name"] not in params]
    return found


def _markup(method: str, markup: dict[str, Any]) -> list[str]:
    kind = next((MARKUP_TYPES[k] for k in MARKUP_TYPES if k in markup), None)
    if kind is None:
        return [f"{method}: reply_markup of unknown kind: {sorted(markup)}"]
    found = _fields(f"{method}.{kind}", spec()["types"][kind]["fields"], markup)
    button_type = BUTTON_TYPES.get(kind)
    if button_type is None:
        return found
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    button_fields = spec()["types"][button_type]["fields"]
    for row in rows:
        for button in row:
            found += _fields(f"{method}.{button_type}", button_fields, button)
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                found.append(f"{method}: callback_data {data!r} is not 1-64 bytes")
            if button_type == "InlineKeyboardButton" and len(button) < 2:
                found.append(f"{method}: inline button {button.get('text')!r} has no action")
    return found


def html_problems(text: str) -> list[str]:
    """Only Telegram's tags, balanced; every other <, > and & escaped."""
    found = []
    stack: list[str] = []
    for match in TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if name not in ALLOWED_TAGS:
            found.append(f"tag <{name}> is not allowed in Telegram HTML")
        elif closing:
            if not stack or stack.pop() != name:
                found.append(f"unbalanced </{name}>")
        else:
            stack.append(name)
    if stack:
        found.append(f"unclosed tags {stack}")
    rest = ENTITY.sub("", TAG.sub("", text))
    for char in "<>&":
        if char in rest:
            found.append(f"unescaped {char!r}")
    return found


def _visible(text: str) -> str:
    """The text as the user sees it: tags removed, entities counted as one character."""
    return ENTITY.sub("x", TAG.sub("", text))
