"""Formatted text as a Telegram client sends it: plain text plus entities, from a little HTML.

The shell's ``:html`` line uses it to type what a phone's formatting menu produces (bold, italic,
underline, strikethrough, code, pre, links, quotes), so staff features that must carry formatting
through untouched can be tried offline. Offsets count UTF-16 code units, as Telegram's do.
"""

from __future__ import annotations

from html.parser import HTMLParser

from aiogram.types import MessageEntity

TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
        "s": "strikethrough", "del": "strikethrough", "code": "code", "pre": "pre",
        "a": "text_link", "blockquote": "blockquote", "tg-spoiler": "spoiler"}


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[MessageEntity] = []
        self.open: list[tuple[str, int, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.text += "\n"
        elif tag in TAGS:
            self.open.append((tag, _units(self.text), dict(attrs).get("href")))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            name, start, href = self.open[index]
            if name != tag:
                continue
            del self.open[index]
            length = _units(self.text) - start
            if length > 0:
                self.entities.append(MessageEntity(type=TAGS[tag], offset=start, length=length,
                                                   url=href if tag == "a" else None))
            return

    def handle_data(self, data: str) -> None:
        self.text += data


def from_html(markup: str) -> tuple[str, list[MessageEntity]]:
    """'<b>明天</b>上午' -> ('明天上午', [bold 0..2]); unknown tags are dropped, their text kept."""
    parser = _Parser()
    parser.feed(markup)
    parser.close()
    entities = sorted(parser.entities, key=lambda e: (e.offset, -e.length))
    return parser.text, entities
