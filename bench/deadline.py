"""Deadline day: many applicants at once against a real `zhaolu run`, Telegram answering in 100 ms.

The loopback Bot API of the tests (tests/loopback_telegram.py) runs in this process and answers
every request after LATENCY s, as Telegram does; `zhaolu run` is a real process polling it. Each
of USERS applicants has a short conversation (CONVERSATION: /start, choosing the campaign, a menu
section, a free-text question, the self-check and its first answer), sending the next step only
after the reply to the previous one arrived (or REPLY_TIMEOUT passed) and a moment of reading.
Reported per run: updates/s (all updates over the time from the first sent to the last reply),
p50/p99 of update → reply (the reply's answer received), the error replies (the bot's
fallback.error text), the steps without a reply, and the log's "database is locked" lines.
Targets on SQLite: >= 40 updates/s, 0 error replies.
The users are a closed loop (each waits for its reply), so the bot runs at its capacity: the
latency is mostly queueing there, and updates/s is the capacity of one process.

One function per run (`run_sqlite_polling`); a run on PostgreSQL + Redis or on webhook workers
only needs another `Worker` list and the same `drive`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from content.texts import default_texts
from tests.loopback_telegram import BOT, TOKEN, LoopbackTelegram

USERS = 200
LATENCY = 0.1  # seconds the Bot API takes to answer, as Telegram does
ARRIVAL = 5.0  # users start within this many seconds
THINK = (0.3, 1.0)  # seconds a user reads before the next step
# A deadline day's pace: a user reads a reply on the phone for 2-8 s, so 1,000 users offer about
# 1000 / (5 s + the reply's time) = 150-190 updates/s; the closed loop above offers what it gets.
PACED_THINK = (2.0, 8.0)
REPLY_TIMEOUT = 30.0
START_TIMEOUT = 60.0
TARGET_RATE = 40.0
FIRST_USER = 700_000
REPLIES = frozenset({"sendMessage", "editMessageText", "sendDocument", "sendPhoto"})
SLUG = "xiaogan-2023"
# (kind, payload): a text message, or a tap on a button with that callback data.
CONVERSATION: tuple[tuple[str, str], ...] = (
    ("text", "/start"),
    ("tap", f"c:{SLUG}"),
    ("tap", f"m:{SLUG}:registration"),
    ("text", "报名需要什么学历？"),
    ("tap", "el:start"),
    ("tap", "el:education:1"),
)


class Watched(LoopbackTelegram):
    """The loopback server, telling each user's queue when a reply to them was answered."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.inboxes: dict[int, asyncio.Queue[tuple[float, str, int]]] = {}
        self.error_text = default_texts()("fallback.error")
        self.error_replies = 0
        # (chat, callback data) -> the message that last carried that button: a user taps the
        # button where it is, which is not always the latest message (a reminder offer may follow).
        self.buttons: dict[tuple[int, str], int] = {}

    async def _answer(self, method: str, params: dict[str, Any]) -> web.StreamResponse:
        response = await super()._answer(method, params)
        if params.get("text") == self.error_text:
            self.error_replies += 1
        chat = params.get("chat_id")
        if method == "answerCallbackQuery" and params.get("show_alert") and response.status == 200:
            # An alert is the whole reply to a tap (a started-over conversation taps a button of
            # a self-check that resumes elsewhere); the alert's request names no chat.
            chat = int(str(params.get("callback_query_id", "")).split("-")[0] or 0)
            if chat in self.inboxes:
                self.inboxes[chat].put_nowait((time.monotonic(), method, 0))
        elif method in REPLIES and response.status == 200 and chat in self.inboxes:
            body = json.loads(response.body)  # type: ignore[arg-type]
            result = body["result"]
            message_id = result["message_id"] if isinstance(result, dict) else 0
            if message_id:
                for data in _callback_data(params.get("reply_markup")):
                    self.buttons[(chat, data)] = message_id
            self.inboxes[chat].put_nowait((time.monotonic(), method, message_id))
        return response


def _callback_data(markup: Any) -> list[str]:
    """The callback data of a reply's buttons (the loopback has decoded its JSON already)."""
    if not isinstance(markup, dict):
        return []
    return [button["callback_data"] for row in markup.get("inline_keyboard", [])
            for button in row if "callback_data" in button]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)
    unanswered: int = 0
    sent: int = 0
    first: float = 0.0
    last: float = 0.0
    pushed_at: list[float] = field(default_factory=list)  # of each answered update, as latencies
    window: tuple[float, float] | None = None  # every user active (drive's `hold`)

    def sustained(self) -> tuple[float, float]:
        """Replies per second and p99 update → reply over `window`, the time every user was in
        conversation (none still arriving, none done): the rate a population offers and the bot
        keeps up with, without the ramp at the start and the stragglers at the end."""
        assert self.window is not None
        begin, end = self.window
        replied = sum(1 for at in self.answered_at if begin <= at < end)
        inside = sorted(lat for at, lat in zip(self.pushed_at, self.latencies, strict=True)
                        if begin <= at < end) or [float("nan")]
        return replied / (end - begin), inside[min(len(inside) - 1, int(len(inside) * 0.99))]

    def busiest(self, window: float = 10.0) -> float:
        """Replies per second in the busiest `window` seconds of the run."""
        times, best, left = sorted(self.answered_at), 0, 0
        for right, at in enumerate(times):
            while at - times[left] > window:
                left += 1
            best = max(best, right - left + 1)
        return best / window


def _user(user_id: int) -> dict[str, Any]:
    """The applicant as Telegram describes them: the same name in every update (that of
    LoopbackTelegram.push_text), as a real user's; a name that changed each step made the bot
    rewrite the user row on most updates."""
    return {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"}


def _tap(api: Watched, user_id: int, data: str, message_id: int) -> None:
    message = {"message_id": message_id, "date": int(time.time()), "text": "…",
               "chat": {"id": user_id, "type": "private"}, "from": BOT}
    api.push({"callback_query": {"id": f"{user_id}-{time.monotonic_ns()}", "from": _user(user_id),
                                 "chat_instance": str(user_id), "data": data,
                                 "message": message}})


async def _converse(api: Watched, user_id: int, tally: Tally, rng: random.Random,
                    think: tuple[float, float], until: float | None = None) -> None:
    """One applicant's conversation; the buttons pressed are on the bot's latest message. With
    `until` (a monotonic time), the conversation starts over (/start) until then."""
    inbox = api.inboxes.setdefault(user_id, asyncio.Queue())
    await asyncio.sleep(rng.uniform(0, ARRIVAL))
    message_id = 0
    steps = CONVERSATION if until is None else itertools.cycle(CONVERSATION)
    for kind, payload in steps:
        if until is not None and time.monotonic() >= until:
            break
        while not inbox.empty():
            message_id = inbox.get_nowait()[2] or message_id
        pushed = time.monotonic()
        tally.first = tally.first or pushed
        if kind == "text":
            api.push_text(user_id, payload)
        else:
            _tap(api, user_id, payload, api.buttons.get((user_id, payload), message_id))
        tally.sent += 1
        try:
            at, _, replied_id = await asyncio.wait_for(inbox.get(), REPLY_TIMEOUT)
        except TimeoutError:
            tally.unanswered += 1
            continue
        message_id = replied_id or message_id
        tally.pushed_at.append(pushed)
        tally.latencies.append(at - pushed)
        tally.answered_at.append(at)
        tally.last = max(tally.last, at)
        await asyncio.sleep(rng.uniform(*think))


async def drive(api: Watched, users: int, think: tuple[float, float] = THINK,
                hold: float | None = None) -> Tally:
    """Every user's conversation at once, each reading `think` seconds between steps; the figures
    of the whole. With `hold` (seconds), every user keeps conversing until `hold` seconds after
    the last has arrived: `Tally.window` is that time."""
    tally = Tally()
    rng = random.Random(15)
    until = None
    if hold is not None:
        begin = time.monotonic() + ARRIVAL
        until = begin + hold
        tally.window = (begin, until)
    await asyncio.gather(*(_converse(api, FIRST_USER + i, tally, random.Random(rng.random()),
                                     think, until) for i in range(users)))
    return tally


@dataclass
class Worker:
    """A `zhaolu run` process and its log file."""

    args: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "bot.cli", "run", *self.args], env=self.env,
                stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def count(self, needle: str) -> int:
        return self.log.read_text(errors="replace").count(needle)


def worker_env(api_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHAOLU_")}
    env.update(ZHAOLU_BOT_TOKEN=TOKEN, ZHAOLU_TELEGRAM_API_URL=api_url,
               ZHAOLU_VAR_DIR=str(var_dir), ZHAOLU_LOG_LEVEL="INFO", **extra)
    return env


async def _polling_started(api: Watched, worker: Worker) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not any(r.method == "getUpdates" for r in api.requests):
        if worker.process is not None and worker.process.poll() is not None:
            raise RuntimeError(f"zhaolu run exited: {worker.log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError("zhaolu run did not start polling")
        await asyncio.sleep(0.2)


def report(name: str, tally: Tally, api: Watched, workers: list[Worker]) -> bool:
    elapsed = max(tally.last - tally.first, 1e-9)
    rate = len(tally.latencies) / elapsed
    lat = sorted(tally.latencies) or [float("nan")]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    locked = sum(w.count("database is locked") for w in workers)
    pool = sum(w.count("QueuePool limit") for w in workers)
    errors = sum(w.count(" ERROR ") for w in workers)
    met = rate >= TARGET_RATE and api.error_replies == 0 and tally.unanswered == 0
    print(f"{name}: {tally.sent} updates, {rate:.1f} updates/s, update → reply "
          f"p50 {statistics.median(lat):.2f} s p99 {p99:.2f} s; error replies "
          f"{api.error_replies}, unanswered {tally.unanswered}; log: {locked} 'database is "
          f"locked', {pool} pool timeouts, {errors} ERROR lines "
          f"({'target met' if met else f'target: >= {TARGET_RATE:.0f}/s, 0 errors'})",
          flush=True)
    return met


async def run_sqlite_polling(users: int = USERS) -> bool:
    """The default set-up: one `zhaolu run` polling, SQLite in its var dir, no Redis."""
    with tempfile.TemporaryDirectory(prefix="zl-deadline-") as tmp:
        async with Watched(latency=LATENCY) as api:
            worker = Worker([], worker_env(api.base_url, Path(tmp) / "var"), Path(tmp) / "log")
            worker.start()
            try:
                await _polling_started(api, worker)
                tally = await drive(api, users)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(worker.stop)
            return report(f"SQLite, polling, {users} users", tally, api, [worker])


def main() -> None:
    users = int(os.environ.get("ZHAOLU_BENCH_USERS", USERS))
    asyncio.run(run_sqlite_polling(users))


if __name__ == "__main__":
    main()
