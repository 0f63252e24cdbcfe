"""Random conversations through the real Dispatcher (issue 14, Tests).

Six applicants and an admin, each with their own name, ID number and phone, do random things in
every state the bot has: commands, typed answers (their own personal data, questions, 4,096
characters of text), the buttons of their newest message, buttons of older messages (stale),
buttons of another person's messages and made-up ones (forged), stickers, photos, documents,
messages in a staff group and a plain group, the clock moved on. After each update:
- every outgoing request passed the Bot API check (tests/bot_api.py);
- nothing was logged at ERROR (the error handler logs every exception a handler raises);
- an applicant's update made the bot write only to that applicant, the staff or the staff group,
  and nothing sent to an applicant carries another applicant's name, ID number or phone (in full
  or masked).

    .venv/bin/python -m tests.fuzz --updates 20000 [--seed N]   # `make fuzz`; prints the seed
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from content.masking import mask_id_number, mask_phone
from tests.harness import DEFAULT_NOW, Harness
from tests.registration_helpers import id_number

ADMIN = 9001
GROUP, PLAIN_GROUP = -1001500, -2002
APPLICANTS = {1001: "司马懿", 1002: "诸葛亮", 1003: "上官婉儿", 1004: "东方朔", 1005: "令狐冲",
              1006: "独孤求败"}
COMMANDS = ("/start", "/start xiaogan-2023", "/start fujian-2023", "/menu", "/register",
            "/check", "/my", "/mydata", "/delete_my_data", "/subscribe", "/unsubscribe",
            "/settings", "/ask_staff", "/cancel", "/help", "/campaign", "/staff", "/bind",
            "/start staff-forged")
WORDS = ("同意", "同意并开始", "确认", "报名截止时间是什么时候？", "年龄有什么要求", "在吗", "谢谢",
         "湖北职业技术学院", "福建卫生职业技术学院", "2022", "22届", "本科", "大专", "临床医学",
         "1999-03-02", "没有", "1", "？？？", "hello", "宿舍能带宠物吗", "XG2023-0001", "12",
         "护理", "可以", "不同意", "👍")
CONTENT = ("sticker", "photo", "document", "voice", "location")


@dataclass
class Person:
    user: int
    name: str
    id_number: str
    phone: str

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.name, self.id_number, mask_id_number(self.id_number), self.phone,
                mask_phone(self.phone))


def people() -> dict[int, Person]:
    found = {}
    for n, (user, name) in enumerate(APPLICANTS.items()):
        found[user] = Person(user, name, id_number(f"4209021998{n + 1:02d}0{n + 1}1{n + 3}2"),
                             f"13{n + 3}0000{n + 1}{n + 2}{n + 3}{n + 4}")
    return found


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Fuzz:
    harness: Harness
    rng: random.Random
    people: dict[int, Person] = field(default_factory=people)
    buttons: dict[int, list[str]] = field(default_factory=dict)  # data seen per chat
    last_text: dict[int, str] = field(default_factory=dict)  # the newest text per chat
    plans: dict[int, list[str]] = field(default_factory=dict)  # a whole path, step by step
    updates: int = 0

    async def step(self) -> None:
        user = self.rng.choice([*self.people, ADMIN])
        calls = await self._act(user)
        self.updates += 1
        for call in calls:
            if call.text and call.chat_id is not None:
                self.last_text[int(call.chat_id)] = call.text
            for data in (b[1] for b in call.buttons):
                if data and not data.startswith("http"):
                    self.buttons.setdefault(int(call.chat_id or 0), []).append(data)
        self._check(user, calls)

    async def _act(self, user: int):  # noqa: C901 - one branch per kind of input
        h, rng = self.harness, self.rng
        roll = rng.random()
        plan = self.plans.get(user)
        if not plan and user in self.people and roll < 0.01:
            plan = self.plans[user] = self._path(user)
        if plan and roll < 0.85:
            step = plan.pop(0)
            if step.lstrip("!") in h.labels(user):
                return await h.press(step.lstrip("!"), user=user)
            if not step.startswith("!"):
                return await h.send(step, user=user)
            self.plans[user] = []  # the path went elsewhere: back to random
        answer = self._answer(user)
        if answer is not None and roll < 0.6:  # mostly, answer the form as asked
            return await h.send(answer, user=user)
        if roll < 0.40:
            labels = h.labels(user)
            if labels:
                return await h.press(rng.choice(labels), user=user)
        if roll < 0.48 and self.buttons.get(user):  # a stale button of one's own
            return await h.press_data(rng.choice(self.buttons[user][-60:]), user=user)
        if roll < 0.54:  # another person's button, or a made-up one
            others = [d for chat, data in self.buttons.items() if chat != user for d in data]
            forged = rng.choice(("rg:my_edit::1", "rg:del::yes", "rg:idok::", "mp:x:y:9",
                                 "pg:zzzz:3", "st:x", "rg:my_wd::99999999999999999999"))
            return await h.press_data(rng.choice(others[-200:]) if others and rng.random() < .7
                                      else forged, user=user)
        if roll < 0.66:
            return await h.send(rng.choice(COMMANDS), user=user)
        if roll < 0.70:
            kind = rng.choice(CONTENT)
            extra = {"file_name": "scan.pdf"} if kind == "document" else {}
            return await h.send_content(kind, user=user, **extra)
        if roll < 0.73:
            chat = rng.choice((GROUP, PLAIN_GROUP))
            text = rng.choice(("/bind xiaogan-2023", "可以的", "/unbind", "你好"))
            plain = chat == PLAIN_GROUP
            return h._checked(await h.driver.send_group(
                chat, user, text, chat_type="group" if plain else "supergroup",
                forum=not plain))
        if roll < 0.732:  # now and then later: windows close, reminders fall due, forms go stale
            h.clock.advance(timedelta(hours=rng.choice((1, 12, 24, 72))))
            return []
        if roll < 0.75:
            return await h.send("长" * 4096, user=user)
        person = self.people.get(user)
        if person is not None and roll < 0.87:
            return await h.send(rng.choice((person.name, person.id_number, person.phone)),
                                user=user)
        return await h.send(rng.choice(WORDS), user=user)

    def _path(self, user: int) -> list[str]:
        """A pre-registration (or a self-check) from the start: labels are pressed (a label
        that is not there, marked "!", ends the path), other steps typed."""
        p = self.people[user]
        if self.rng.random() < 0.3:
            return ["/cancel", "/start xiaogan-2023", "/check", "!专科（高职高专、大专）",
                    "!临床医学", "1999-03-02", "!都没有", "!没有工作单位", "!都不是"]
        return ["/cancel", "/start xiaogan-2023", "/register", "!✅ 同意并开始",
                "!✅ 同意提供身份证号", p.name, p.id_number, p.phone, "湖北职业技术学院", "2022",
                "!专科（高职高专）", "!临床医学", "!未取得执业资格", "!应往届毕业生",
                "!汉川市人民医院（6人）", "!✅ 确认提交", "/my", "/mydata"]

    def _answer(self, user: int) -> str | None:
        """The right answer to a typed step of the form, when that is what was asked last."""
        person, asked = self.people.get(user), self.last_text.get(user, "")
        if person is None or "请输入" not in asked:
            return None
        for prompt, value in (("<b>姓名</b>", person.name),
                              ("<b>身份证号</b>", person.id_number),
                              ("<b>手机号</b>", person.phone),
                              ("<b>毕业院校</b>", "湖北职业技术学院"), ("<b>毕业年份</b>", "2022")):
            if prompt in asked:
                return value
        return None

    def _check(self, actor: int, calls) -> None:
        for call in calls:
            chat = call.chat_id
            if chat is None or int(chat) in (ADMIN, GROUP, PLAIN_GROUP):
                continue
            chat = int(chat)
            if actor != ADMIN:
                assert chat == actor, f"update of {actor} wrote to {chat}: {call.method}"
            if chat in self.people:
                text = call.text + str(call.files or "")
                for other in self.people.values():
                    if other.user != chat:
                        leaked = [s for s in other.secrets if s in text]
                        assert not leaked, f"{chat} was shown {other.user}'s {leaked}"


async def reached(harness: Harness) -> dict[str, int]:
    """How far the random walk got: rows of each kind it made."""
    from sqlalchemy import func, select

    from storage.eligibility import EligibilityCheck
    from storage.inbox import InboxThread
    from storage.models import FsmRecord
    from storage.registrations import Registration
    from storage.subscriptions import Subscription

    found = {}
    async with harness.services.sessionmaker() as session:
        for name, table in (("registrations", Registration), ("self_checks", EligibilityCheck),
                            ("inbox_threads", InboxThread), ("subscriptions", Subscription),
                            ("fsm_records", FsmRecord)):
            found[name] = (await session.exec(select(func.count()).select_from(table))
                           ).scalar_one()
    return found


async def run(seed: int, updates: int, db_url: str | None = None) -> dict[str, int]:
    """`updates` random updates from `seed`; raises AssertionError at the first problem;
    returns how many updates ran and what they reached."""
    errors = Errors()
    logging.getLogger().addHandler(errors)
    with tempfile.TemporaryDirectory() as scratch:
        url = db_url or f"sqlite+aiosqlite:///{Path(scratch) / 'fuzz.db'}"
        harness = await Harness.create(url, now=DEFAULT_NOW, var_dir=Path(scratch) / "var",
                                       admins=[ADMIN])
        fuzz = Fuzz(harness, random.Random(seed))
        try:
            while fuzz.updates < updates:
                await fuzz.step()
                assert not errors.records, (
                    f"logged at ERROR: {errors.records[0].getMessage()}")
            result = {"updates": fuzz.updates, **await reached(harness)}
        finally:
            logging.getLogger().removeHandler(errors)
            await harness.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--updates", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    started = time.monotonic()
    try:
        done = asyncio.run(run(seed, args.updates))
    except BaseException:
        print(f"fuzz FAILED with seed {seed} (again: make fuzz SEED={seed})", file=sys.stderr)
        raise
    print(f"fuzz: seed {seed}, {time.monotonic() - started:.0f} s, no problem; reached "
          + ", ".join(f"{k} {v}" for k, v in done.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
