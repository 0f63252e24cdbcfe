"""WeChat callbacks → the Updates Telegram would deliver, for the same Dispatcher.

- a text message is a text Message; a click on a menu message comes back as a text carrying
  `bizmsgmenuid`, the item id, which is the button's callback data: it becomes a CallbackQuery;
- following the account, or scanning one of its QR codes, whose scene is a campaign slug, is
  `/start SLUG` (the same deep link as t.me/bot?start=SLUG); following without a scene `/start`;
- a voice message with WeChat's recognition is its text; without it, and images, videos,
  locations, links, are the matching non-text Messages, which the handlers answer politely;
- unfollowing is no update (the caller marks the user gone).

Each result names the action that opened the user's reply window (storage.wechat.GRANTS).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    Location,
    Message,
    PhotoSize,
    Update,
    Video,
    Voice,
)

from bot.driver import command_entities, private_user
from bot.wechat.channel import MEDIA_PREFIX, QUERY_PREFIX

NAME = "微信用户"  # WeChat no longer gives a follower's nickname to the account


@dataclass
class Inbound:
    update: Update | None
    action: str | None  # the reply window it opens: message | click | subscribe | scan
    key: int  # replay protection: the MsgId, or for events a hash of who, when and what


def key_of(data: dict[str, Any]) -> int:
    if data.get("MsgId"):
        return int(data["MsgId"])
    seen = f"{data.get('FromUserName')}|{data.get('CreateTime')}|{data.get('Event')}|" \
           f"{data.get('EventKey')}"
    return zlib.crc32(seen.encode()) | (1 << 40)  # apart from small MsgIds


def to_update(data: dict[str, Any], *, user_id: int, update_id: int, message_id: int,
              now: datetime) -> Inbound:
    """`data`: the callback's XML as a dict (wechatpy's message._data)."""
    key = key_of(data)
    kind = str(data.get("MsgType", "")).lower()
    chat = Chat(id=user_id, type="private")
    sender = private_user(user_id, NAME)

    def message(**content: Any) -> Update:
        return Update(update_id=update_id, message=Message(
            message_id=message_id, date=now, chat=chat, from_user=sender, **content))

    def text(value: str) -> Update:
        return message(text=value, entities=command_entities(value))

    if kind == "event":
        event = str(data.get("Event", "")).lower()
        scene = str(data.get("EventKey") or "")
        if event == "subscribe":
            slug = scene.removeprefix("qrscene_") if scene.startswith("qrscene_") else ""
            return Inbound(text(f"/start {slug}".strip()), "subscribe", key)
        if event == "scan":
            return Inbound(text(f"/start {scene}".strip()), "scan", key)
        if event == "click" and scene.startswith("/"):  # a custom menu entry naming a command
            return Inbound(text(scene), "click", key)
        return Inbound(None, None, key)
    if kind == "text":
        menu = data.get("bizmsgmenuid")
        if menu:
            query = CallbackQuery(
                id=f"{QUERY_PREFIX}{key}", from_user=sender, chat_instance="wechat",
                data=str(menu),
                message=Message(message_id=message_id, date=now, chat=chat, text=""))
            return Inbound(Update(update_id=update_id, callback_query=query), "click", key)
        return Inbound(text(str(data.get("Content") or "")), "message", key)
    if kind == "voice":
        spoken = str(data.get("Recognition") or "").strip()
        if spoken:
            return Inbound(text(spoken), "message", key)
        return Inbound(message(voice=Voice(file_id=f"wx-{key}", file_unique_id=f"wx-{key}",
                                           duration=1)), "message", key)
    if kind == "image":  # its file id names WeChat's media: staff on Telegram get the image
        media = data.get("MediaId") or key
        return Inbound(message(photo=[PhotoSize(file_id=f"{MEDIA_PREFIX}{media}",
                                                file_unique_id=f"wx-{key}", width=1, height=1)]),
                       "message", key)
    if kind in ("video", "shortvideo"):
        return Inbound(message(video=Video(file_id=f"wx-{key}", file_unique_id=f"wx-{key}",
                                           width=1, height=1, duration=1)), "message", key)
    if kind == "location":
        return Inbound(message(location=Location(latitude=float(data.get("Location_X") or 0),
                                                 longitude=float(data.get("Location_Y") or 0))),
                       "message", key)
    if kind == "link":
        return Inbound(text(str(data.get("Url") or data.get("Title") or "")), "message", key)
    # A file, a mini-program card …: a document, which the handlers answer as any non-text.
    name = str(data.get("Title") or data.get("FileName") or "微信消息")
    return Inbound(message(document=Document(file_id=f"wx-{key}", file_unique_id=f"wx-{key}",
                                             file_name=name)), "message", key)
