"""`zhaolu shell`: chat with the real handlers offline, interactively or from a script.

Each input line is a text message from the current user, or a press of the button with that
label on the newest message that has it; lines starting with ':' are shell commands. Outgoing
calls are printed readably, or as one JSON object per line with --jsonl, followed by
{"idle": true} once the line has been fully handled.
"""

from __future__ import annotations

import html
import json
import re
import sys
from datetime import datetime
from typing import Any, TextIO

from bot.app import Services, build_bot, build_dispatcher, open_services
from bot.clock import Clock, parse_moment
from bot.driver import ChatDriver
from bot.recording import Call, RecordingSession
from bot.settings import Settings
from storage.files import private_dir

HELP = """shell commands:
  :user ID          switch the current user
  :now ISO-8601     set the clock (e.g. :now 2023-06-27T09:00:00+08:00)
  :tick             run the scheduled jobs due at the clock (reminders, sending)
  :html TEXT        a formatted message, written with Telegram's HTML tags (b, i, u, s,
                    code, pre, a href, blockquote), as a phone's formatting menu makes it
  :sticker | :voice | :location | :poll   send such a message
  :photo [KB] [CAPTION]   send a photo (default 120 KB), with a caption (HTML as in :html)
  :document NAME [KB] [CAPTION]   send a file (e.g. :document 面试安排.pdf 300 请按附件时间到场)
  :video [CAPTION]  send a video
  :upload PATH      send a real local file as a document (e.g. an edited XLSX export); files
                    the bot sends are saved under var/shell-files/ and their path is printed
  :album            send two photos as one album
  :group CHAT [#TOPIC] TEXT   the current user writes in a group (e.g. the staff inbox's forum:
                    :group -1001 /bind xiaogan-2023, then :group -1001 #7 可以的), or presses
                    the button labelled TEXT on the group's newest message that has it
  :help             this list
  :quit             leave (end of input does too)"""

SKIPPED_PARAMS = {"reply_markup", "parse_mode", "link_preview_options"}
MIME_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
              ".pdf": "application/pdf", ".doc": "application/msword",
              ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              ".xls": "application/vnd.ms-excel",
              ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def call_json(call: Call) -> dict[str, Any]:
    """The public JSON form of one outgoing call (see README: the shell contract)."""
    out: dict[str, Any] = {"method": call.method}
    params = call.params
    for key in ("chat_id", "text", "caption"):
        if key in params:
            out[key] = params[key]
    if "document" in params and isinstance(params["document"], str):
        out["document"] = params["document"]
    if call.shown is not None:  # a copy: what it shows (its params name only ids)
        out.setdefault("text", call.shown.get("text", ""))
        if "file" in call.shown:
            out["file"] = call.shown["file"]
    rows = call.button_rows
    if rows or "reply_markup" in params:  # rows of [label, data]: the layout on the phone
        out["buttons"] = [[list(b) for b in row] for row in rows]
    for key, value in params.items():
        if key not in out and key not in SKIPPED_PARAMS:
            out[key] = value
    return out


def render_readable(call: Call, current_user: int | None = None) -> str:
    """What a person reads: the text without tags, then each button as [label]; a message to
    someone other than the current user (a reminder at :tick) is headed with its recipient."""
    if call.method == "answerCallbackQuery":
        text = call.params.get("text")
        return f"  (提示) {text}" if text else ""
    if call.method in ("setMyCommands", "deleteMyCommands", "getMe", "deleteWebhook", "getFile"):
        return ""
    text = call.text if call.shown is not None or "entities" in call.params or \
        "caption_entities" in call.params else html.unescape(re.sub(r"<[^>]+>", "", call.text))
    lines = [f"── {call.method} ──", text] if call.method != "sendMessage" else [text]
    if call.shown is not None and "file" in call.shown:
        lines.insert(1, f"[📎 {call.shown['file']}]")
    elif call.method == "sendDocument" and getattr(call.result, "document", None) is not None:
        lines.insert(1, f"[📎 {call.result.document.file_name or 'file'}]")
    chat = call.params.get("chat_id")
    if current_user is not None and chat is not None and str(chat) != str(current_user):
        topic = call.params.get("message_thread_id")
        where = f"群 {chat}" + (f" #{topic}" if topic else "") if int(chat) < 0 else f"用户 {chat}"
        lines.insert(0, f"→ {where}")
    markup = call.params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard") or markup.get("keyboard") or []:
        lines.append(" ".join(f"[{b.get('text', '')}]" for b in row))
    return "\n".join(line for line in lines if line is not None) + "\n"


class Shell:
    def __init__(self, services: Services, *, user_id: int, jsonl: bool, out: TextIO) -> None:
        self.services = services
        self.clock = services.clock
        self.session = RecordingSession(self.clock)
        self.bot = build_bot(services.settings, self.session)
        self.dispatcher = build_dispatcher(services)
        self.driver = ChatDriver(self.dispatcher, self.bot, self.session, self.clock)
        self.user_id = user_id
        self.jsonl = jsonl
        self.out = out
        self._saved: dict[tuple[int, int], int] = {}  # message key -> id() of the saved object

    async def restore(self) -> None:
        """The buttons and id counters an earlier shell on this database left (see
        storage/shell_memory.py): its buttons can be pressed here, as on the phone."""
        from aiogram.types import Message

        from storage import shell_memory

        async with self.services.sessionmaker() as session:
            rows, counters = await shell_memory.load(session)
        for chat_id, message_id, body in rows:
            message = Message.model_validate_json(body)
            self.session.messages[(chat_id, message_id)] = message
            self._saved[(chat_id, message_id)] = id(message)
        self.session.message_ids.last = counters.get("message", 0)
        self.session.update_ids.last = counters.get("update", 0)
        self.session.query_ids.last = counters.get("query", 0)

    async def remember(self) -> None:
        """Save the bot's messages with buttons that are new or changed since the last line."""
        from content.masking import mask_personal_numbers
        from storage import shell_memory
        from storage.shell_memory import COUNTERS

        changed = []
        for key, message in self.session.messages.items():
            if self._saved.get(key) == id(message) or message.reply_markup is None or \
                    message.from_user is None or not message.from_user.is_bot:
                continue
            shown = message.model_copy(update={
                "text": mask_personal_numbers(message.text) if message.text else None,
                "caption": mask_personal_numbers(message.caption) if message.caption else None})
            changed.append((key[0], key[1], shown.model_dump_json(exclude_none=True)))
            self._saved[key] = id(message)
        ids = (self.session.message_ids, self.session.update_ids, self.session.query_ids)
        counters = {name: ids_.last for name, ids_ in zip(COUNTERS, ids, strict=True)}
        async with self.services.sessionmaker() as session, session.begin():
            await shell_memory.save(session, changed, counters)

    async def handle_line(self, line: str) -> bool:
        """Handle one input line; False when the shell should stop."""
        line = line.rstrip("\r\n")
        keep_going = True
        if line.startswith(":"):
            keep_going = await self._command(line[1:].strip())
        elif line.strip():
            calls = await self.driver.press(self.user_id, line.strip())
            if calls is None:
                calls = await self.driver.send_text(self.user_id, line)
            self._print_calls(calls)
        await self.remember()
        if self.jsonl:
            self._emit({"idle": True})
        self.out.flush()
        return keep_going

    async def _command(self, command: str) -> bool:
        name, _, rest = command.partition(" ")
        rest = rest.strip()
        if name == "quit":
            return False
        if name == "user" and rest.lstrip("-").isdigit():
            self.user_id = int(rest)
            self._note(f"current user: {self.user_id}")
        elif name == "now" and rest:
            try:
                self.clock.set(parse_moment(rest))
            except ValueError:
                self._note(f"not an ISO-8601 time: {rest}")
            else:
                self._note(f"clock: {self.clock.now().isoformat()}")
        elif name == "group" and rest:
            await self._group(rest)
        elif name == "tick":
            await self._tick()
        elif name == "html" and rest:
            from bot.rich_text import from_html

            text, entities = from_html(rest)
            self._print_calls(await self.driver.send_text(self.user_id, text, entities))
        elif name in ("sticker", "voice", "photo", "document", "video", "location", "poll"):
            await self._content(name, rest)
        elif name == "upload" and rest:
            await self._upload(rest)
        elif name == "album":
            album = f"album{len(self.session.calls)}"
            for _ in range(2):
                await self._content("photo", "", media_group_id=album)
        else:
            self._note(HELP)
        return True

    async def _content(self, kind: str, rest: str, **extra: Any) -> None:
        args = rest.split(maxsplit=1 if kind in ("photo", "video") else 2)
        if kind == "document":
            extra["file_name"] = args.pop(0) if args else "scan.jpg"
            name = extra["file_name"].lower()
            extra["mime_type"] = next((m for ext, m in MIME_TYPES.items() if name.endswith(ext)),
                                      "application/octet-stream")
        if kind in ("photo", "document") and args and _is_number(args[0]):
            extra["size"] = int(float(args.pop(0)) * 1024)
        if kind in ("photo", "document", "video") and args:
            from bot.rich_text import from_html

            extra["caption"], extra["caption_entities"] = from_html(" ".join(args))
        self._print_calls(await self.driver.send_content(self.user_id, kind, **extra))

    async def _upload(self, rest: str) -> None:
        from pathlib import Path

        path = Path(rest).expanduser()
        try:
            data = path.read_bytes()
        except OSError as error:
            self._note(f"cannot read {path}: {error.strerror}")
            return
        mime = next((m for ext, m in MIME_TYPES.items() if path.name.lower().endswith(ext)),
                    "application/octet-stream")
        self._print_calls(await self.driver.send_content(
            self.user_id, "document", file_name=path.name, mime_type=mime, data=data))

    def _save_files(self, call: Call) -> None:
        """A document (or a photo: the 📊 统计 chart) the bot sent: kept on disk so it can be
        opened, edited and :upload-ed."""
        if not call.files or call.method not in ("sendDocument", "sendPhoto"):
            return
        # Exports and other documents with personal data: owner only, as the var dir.
        folder = private_dir(self.services.settings.var_dir / "shell-files")
        for data in call.files.values():
            name = call.result.document.file_name if call.result is not None and \
                call.result.document is not None else "file"
            if call.method == "sendPhoto" and call.result is not None:
                name = f"photo-{call.result.message_id}.png"
            path = folder / (name or "file")
            path.write_bytes(data)
            path.chmod(0o600)
            self._note(f"saved {len(data)} bytes to {path}")

    async def _group(self, rest: str) -> None:
        chat, _, text = rest.partition(" ")
        topic = None
        if text.startswith("#"):
            head, _, text = text.partition(" ")
            topic = int(head[1:]) if head[1:].isdigit() else None
        if not chat.lstrip("-").isdigit() or not text.strip():
            self._note(HELP)
            return
        found = self.driver.button_data(int(chat), text.strip())
        if found is not None:
            calls = await self.driver.press_data(self.user_id, found[1], found[0])
        else:
            calls = await self.driver.send_group(int(chat), self.user_id, text, thread_id=topic)
        self._print_calls(calls)

    async def _tick(self) -> None:
        from bot.scheduler import tick

        start = len(self.session.calls)
        summary = await tick(self.services, self.bot, self.clock.now())
        self._print_calls(self.session.calls[start:])
        self._note(f"tick: {summary}")

    def _print_calls(self, calls: list[Call]) -> None:
        for call in calls:
            if self.jsonl:
                self._emit(call_json(call))
            else:
                text = render_readable(call, self.user_id)
                if text:
                    self.out.write(text + "\n")
            self._save_files(call)

    def _emit(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def _note(self, text: str) -> None:
        if self.jsonl:
            self._emit({"note": text})
        else:
            self.out.write(f"» {text}\n")


async def run_shell(settings: Settings, *, user_id: int, jsonl: bool, now: datetime | None,
                    stdin: TextIO | None = None, out: TextIO | None = None,
                    opened: str | None = None) -> int:
    """The shell; `opened` is printed to stderr once the services are open (the key checked)."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    clock = Clock(now)
    services = await open_services(settings, clock)
    if opened:
        print(opened, file=sys.stderr)
    shell = Shell(services, user_id=user_id, jsonl=jsonl, out=out)
    try:
        await shell.restore()
        interactive = stdin.isatty() and not jsonl
        if interactive:
            out.write("招录助手 shell — 输入消息或按钮文字，:help 查看命令，:quit 退出\n")
        while True:
            if interactive:
                out.write(f"[{shell.user_id}]> ")
                out.flush()
            line = stdin.readline()
            if not line:
                break
            if not await shell.handle_line(line):
                break
    finally:
        await shell.dispatcher.storage.close()
        await services.close()
    return 0
