"""One phone screen per message (issue 12 §3): long Telegram HTML cut into pages.

A page holds at most `LIMIT` visible characters (tags stripped, entities decoded). Text is cut
between paragraphs, else between lines, else after a sentence (。；) outside any tag, so every
page is valid HTML on its own. Pages after the first repeat a short first line as their heading.
"""

from __future__ import annotations

import html
import re

LIMIT = 600
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = "。；！？"
_HEADING_MAX = 40


def visible_length(text: str) -> int:
    """What the reader sees: tags stripped, entities decoded."""
    return len(html.unescape(_TAG.sub("", text)))


def split_pages(text: str, limit: int = LIMIT, reserve: int = 12) -> list[str]:
    """The pages of `text`, each ≤ `limit` visible characters once `reserve` (the page count
    line) is added; the text itself when it fits."""
    if visible_length(text) <= limit:
        return [text]
    first_line = text.split("\n", 1)[0]
    heading = first_line if visible_length(first_line) <= _HEADING_MAX else ""
    continued = f"{heading}（续）" if heading else ""
    budget = limit - reserve - (visible_length(continued) + 2 if continued else 0)
    pages: list[list[str]] = [[]]
    for piece in _pieces(text, budget):
        current = pages[-1]
        if current and visible_length("\n\n".join([*current, piece])) > budget:
            pages.append([piece])
        else:
            current.append(piece)
    texts = ["\n\n".join(parts) for parts in pages if parts]
    return [texts[0], *(f"{continued}\n\n{page}" if continued else page for page in texts[1:])]


def _pieces(text: str, budget: int) -> list[str]:
    """Paragraphs that fit; longer ones as groups of lines, longer lines as sentences."""
    found: list[str] = []
    for block in text.split("\n\n"):
        if visible_length(block) <= budget:
            found.append(block)
            continue
        group: list[str] = []
        for line in block.split("\n"):
            for part in (_sentences(line, budget) if visible_length(line) > budget else [line]):
                if group and visible_length("\n".join([*group, part])) > budget:
                    found.append("\n".join(group))
                    group = []
                group.append(part)
        if group:
            found.append("\n".join(group))
    return found


def _sentences(line: str, budget: int) -> list[str]:
    """A line cut after sentence ends outside tags, each part ≤ budget where a sentence allows."""
    parts: list[str] = []
    start, depth, index = 0, 0, 0
    while index < len(line):
        char = line[index]
        if char == "<":
            closing = line.startswith("</", index)
            end = line.find(">", index)
            index = len(line) if end < 0 else end + 1
            depth += -1 if closing else 1
            continue
        index += 1
        if char in _SENTENCE_END and depth <= 0:
            parts.append(line[start:index])
            start = index
    if start < len(line):
        parts.append(line[start:])
    merged: list[str] = []
    for part in parts:
        if merged and visible_length(merged[-1] + part) <= budget:
            merged[-1] += part
        else:
            merged.append(part)
    return merged
