"""The catalogue of user-facing strings, addressed by key.

Strings live in ``content/texts/*.yaml`` (one file per feature, merged; a key defined twice is an
error). Values are HTML as Telegram accepts it; placeholders use ``str.format`` syntax and every
value passed in is HTML-escaped unless it is wrapped in :class:`Raw`.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEXTS_DIR = Path(__file__).resolve().parent / "texts"


class Raw(str):
    """A value that is already safe HTML and must not be escaped again."""


class Texts:
    def __init__(self, strings: dict[str, str]) -> None:
        self._strings = strings

    def __call__(self, key: str, /, **values: Any) -> str:
        template = self._strings[key]
        if not values:
            return template
        safe = {k: v if isinstance(v, Raw) else html.escape(str(v), quote=False)
                for k, v in values.items()}
        return template.format(**safe)

    def __contains__(self, key: str) -> bool:
        return key in self._strings

    def keys(self) -> list[str]:
        return sorted(self._strings)


def load_texts(directory: Path = TEXTS_DIR) -> Texts:
    strings: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of key: text")
        for key, value in data.items():
            if key in strings:
                raise ValueError(f"{path}: text key {key!r} is defined twice")
            strings[str(key)] = str(value).rstrip("\n")
    return Texts(strings)


@cache
def default_texts() -> Texts:
    return load_texts()
