"""The text catalogue: no value cut short by YAML, every staff text renders as Telegram HTML."""

from __future__ import annotations

import re

import yaml

from content.texts import TEXTS_DIR
from tests.bot_api import html_problems


def test_no_value_is_cut_at_a_hash() -> None:
    """An unquoted ' #' starts a YAML comment: "通知 #{id} 已发送" would arrive as "通知"."""
    for path in sorted(TEXTS_DIR.glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.match(r"^[\w.]+: (.*)$", line)
            if match and not match.group(1).startswith(("'", '"', "|", ">")):
                assert " #" not in match.group(1), f"{path.name}:{number}: quote this value"


def test_staff_texts_are_balanced_html() -> None:
    data = yaml.safe_load((TEXTS_DIR / "staff.yaml").read_text(encoding="utf-8"))
    for key, value in data.items():
        sample = re.sub(r"\{\w+\}", "x", str(value))
        assert not html_problems(sample), (key, html_problems(sample))
