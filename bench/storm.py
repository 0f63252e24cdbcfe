"""Telegram's bad seconds against a real `zhaolu run`: STORM s of 429s, then STORM s of 5xx.

The loopback Bot API of the tests runs in this process (answers after LATENCY s, as Telegram
does); `zhaolu run` is a real process polling it with the default settings (the retry policy of
bot/api_retry.py, ZHAOLU_REPLY_RETRY_SECONDS 30). One calm user first shows the replies a
conversation (CONVERSATION, sent at once, as a hurried user taps) gets. Then, for each storm,
USERS users send that conversation while every call the bot makes is refused (429 with
retry_after 1, or 502), arriving over the storm's first seconds.
Reported per storm: replies delivered of those expected, lost, repeated, users whose replies came
out of order, rows in undelivered_replies, error replies, and how long after the storm the last
reply came. Target: every reply once and in order, nothing undelivered (the storm is shorter
than the retry budget). Before the policy: ~100 replies of 150 updates lost silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.deadline import Watched, Worker, worker_env
from bench.deadline import _polling_started as polling_started

USERS = 100
STORM = 10.0
ARRIVAL = 8.0  # users start within this many seconds of the storm's start
LATENCY = 0.1
SETTLE = 60.0  # seconds after the storm for the last replies
CONVERSATION = ("/start xiaogan-2023", "/help", "报名时间")
CALM_USER, FIRST_USER = 800_000, 800_100


async def settled(api: Watched, user: int, quiet: float = 1.5) -> list[str]:
    """The user's replies once none came for `quiet` seconds."""
    seen = -1
    while len(api.sent_to(user)) != seen:
        seen = len(api.sent_to(user))
        await asyncio.sleep(quiet)
    return api.sent_to(user)


async def storm(api: Watched, status: int, users: list[int], expected: list[str]) -> dict:
    """One storm; the figures of what the users got."""
    api.fail(status, seconds=STORM, retry_after=1)
    started = time.monotonic()
    for i, user in enumerate(users):
        await asyncio.sleep(max(0.0, started + ARRIVAL * i / len(users) - time.monotonic()))
        for text in CONVERSATION:
            api.push_text(user, text)
    deadline = started + STORM + SETTLE
    while time.monotonic() < deadline and any(
            len(api.sent_to(u)) < len(expected) for u in users):
        await asyncio.sleep(0.1)
    last = max((r.at for r in api.requests if r.status == 200
                and r.params.get("chat_id") in set(users)), default=None)
    await asyncio.sleep(1.0)  # a repeated reply would come now
    want = Counter(expected)
    lost = repeated = disorder = 0
    for user in users:
        got = api.sent_to(user)
        lost += sum((want - Counter(got)).values())
        repeated += sum((Counter(got) - want).values())
        disorder += got != expected and Counter(got) == want
    return {"expected": len(expected) * len(users), "lost": lost, "repeated": repeated,
            "disorder": disorder, "refused": sum(r.status == status for r in api.requests),
            "after": None if last is None else last - (started + STORM)}


def undelivered(var_dir: Path) -> int:
    with contextlib.closing(sqlite3.connect(var_dir / "zhaolu.db")) as db:
        return db.execute("SELECT count(*) FROM undelivered_replies").fetchone()[0]


def report(name: str, users: int, figures: dict, rows: int, errors: int) -> bool:
    after = figures["after"]
    last = "no reply" if after is None else f"last reply {after:.1f} s after the storm"
    met = not (figures["lost"] or figures["repeated"] or figures["disorder"] or rows or errors)
    print(f"{STORM:.0f} s of {name}, {users} users x {len(CONVERSATION)} messages: "
          f"{figures['expected'] - figures['lost']}/{figures['expected']} replies delivered, "
          f"lost {figures['lost']}, repeated {figures['repeated']}, out of order "
          f"{figures['disorder']} users, {figures['refused']} calls refused, undelivered rows "
          f"{rows}, error replies {errors}, {last} "
          f"({'target met' if met else 'target: all once, in order'})", flush=True)
    return met


async def run(users: int = USERS) -> bool:
    ok = True
    with tempfile.TemporaryDirectory(prefix="zl-storm-") as tmp:
        var = Path(tmp) / "var"
        async with Watched(latency=LATENCY) as api:
            worker = Worker([], worker_env(api.base_url, var), Path(tmp) / "log")
            worker.start()
            try:
                await polling_started(api, worker)
                for text in CONVERSATION:
                    api.push_text(CALM_USER, text)
                expected = await settled(api, CALM_USER)
                recorded = 0
                for status, name in ((429, "429s (retry_after 1)"), (502, "502s")):
                    first = FIRST_USER + (0 if status == 429 else users)
                    figures = await storm(api, status, list(range(first, first + users)),
                                          expected)
                    rows = undelivered(var) - recorded
                    recorded += rows
                    ok = report(name, users, figures, rows, api.error_replies) and ok
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(worker.stop)
    return ok


def main() -> None:
    asyncio.run(run(int(os.environ.get("ZHAOLU_BENCH_USERS", USERS))))


if __name__ == "__main__":
    main()
