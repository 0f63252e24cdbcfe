"""Telegram HTML and keyboards → WeChat text messages and menu messages.

WeChat text shows only `<a href>` as markup: bold becomes 【…】 when it is a short heading, else
plain; every other tag is dropped and entities are unescaped. Texts are split at WeChat's limit
(2,048 bytes) on paragraph, then line, boundaries. Inline buttons with callback data become a
menu message (msgmenu: a head of ≤ 1,024 bytes and ≤ 10 click items of ≤ 128 bytes each, whose
clicks come back as text carrying the item id); URL buttons become links in the text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

TEXT_LIMIT = 2048  # bytes, a text message (passive reply and customer-service API)
MENU_HEAD_LIMIT = 1024  # bytes, msgmenu.head_content
MENU_ITEMS = 10
ITEM_LIMIT = 128  # bytes, one menu item's content
HEADING = 24  # characters: bold this short reads as a heading
BOLD = re.compile(r"<b>(.*?)</b>|<strong>(.*?)</strong>", re.S)
LINK = re.compile(r"<a\s+href=\"([^\"]*)\"\s*>(.*?)</a>", re.S)
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s+[a-z-]+=\"[^\"]*\")*\s*/?>")


@dataclass
class MenuItem:
    id: str  # what the click sends back (bizmsgmenuid)
    content: str


@dataclass
class Out:
    """One WeChat message: text, a menu (text head + click items), or an image (its bytes,
    uploaded as temporary media when sent)."""

    text: str
    items: list[MenuItem] = field(default_factory=list)
    image: bytes | None = None

    @property
    def is_menu(self) -> bool:
        return bool(self.items)

    @property
    def is_text(self) -> bool:
        return not self.items and self.image is None

    def payload(self, openid: str, media_id: str | None = None) -> dict[str, Any]:
        """The customer-service API body for this message (`media_id`: the uploaded image)."""
        if self.image is not None:
            return {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}
        if self.items:
            return {"touser": openid, "msgtype": "msgmenu", "msgmenu": {
                "head_content": self.text, "tail_content": "",
                "list": [{"id": i.id, "content": i.content} for i in self.items]}}
        return {"touser": openid, "msgtype": "text", "text": {"content": self.text}}


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def to_text(telegram_html: str) -> str:
    """Telegram HTML → WeChat text: links kept, short bold as 【】, other tags dropped."""
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        label = TAG.sub("", match.group(2))
        links.append(f'<a href="{html.unescape(match.group(1))}">{html.unescape(label)}</a>')
        return f"\x00{len(links) - 1}\x00"

    def bold(match: re.Match[str]) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        plain = TAG.sub("", inner)
        short = len(plain) <= HEADING and "\n" not in plain and "【" not in plain
        return f"【{plain}】" if short and plain.strip() else plain

    text = LINK.sub(keep_link, telegram_html)
    text = BOLD.sub(bold, text)
    text = html.unescape(TAG.sub("", text))
    for index, link in enumerate(links):
        text = text.replace(f"\x00{index}\x00", link)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` bytes, cut at a paragraph, a line, or (last resort) a
    character boundary outside a link."""
    pieces: list[str] = []
    rest = text
    while size(rest) > limit:
        cut = _cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest.strip():
        pieces.append(rest)
    return pieces


def _cut(text: str, limit: int) -> int:
    fits = len(text.encode("utf-8")[:limit].decode("utf-8", "ignore"))
    head = text[:fits]
    for mark in ("\n\n", "\n", "。", "；", "，"):
        at = head.rfind(mark)
        if at > fits // 3:
            return at + len(mark)
    opened = head.rfind("<a ")
    if opened > head.rfind("</a>"):  # never cut a link in two
        return opened or fits
    return fits


def render(text: str, keyboard: dict[str, Any] | None) -> list[Out]:
    """A Bot API message (HTML text, reply_markup as sent) as WeChat messages in order."""
    body = to_text(text)
    items: list[MenuItem] = []
    for row in (keyboard or {}).get("inline_keyboard", []):
        for button in row:
            label = _clip(button.get("text", ""), ITEM_LIMIT)
            if button.get("url"):
                body += f'\n<a href="{button["url"]}">{html.escape(label, quote=False)}</a>'
            elif button.get("callback_data"):
                items.append(MenuItem(str(button["callback_data"]), label))
    if not items:
        return [Out(piece) for piece in split(body)]
    pieces = split(body) or [""]
    last = pieces.pop()
    out = [Out(piece) for piece in pieces]
    head = last if size(last) <= MENU_HEAD_LIMIT else ""
    if not head and last:
        out.append(Out(last))
    for start in range(0, len(items), MENU_ITEMS):
        out.append(Out(head or "请选择：", items[start:start + MENU_ITEMS]))
        head = "更多选项："
    return out


def merge(messages: list[Out]) -> list[Out]:
    """As few messages as the limits allow: consecutive texts joined, and a text that fits
    joined to the menu after it (WeChat counts every message against the reply quota)."""
    merged: list[Out] = []
    for message in messages:
        previous = merged[-1] if merged else None
        if previous is not None and previous.is_text and message.image is None:
            joined = f"{previous.text}\n\n{message.text}" if message.text else previous.text
            limit = MENU_HEAD_LIMIT if message.is_menu else TEXT_LIMIT
            if size(joined) <= limit:
                merged[-1] = Out(joined, message.items)
                continue
        merged.append(message)
    return merged


def _clip(label: str, limit: int) -> str:
    while size(label) > limit:
        label = label[:-1]
    return label
