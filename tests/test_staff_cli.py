"""`zhaolu staff invite|list|revoke` and `zhaolu audit`: formats, refusals, the chat agreeing.

The commands run in their own process (their own event loop), on the test's database, and never
import aiogram.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from storage import audit
from storage.engine import create_engine, make_sessionmaker, prepare_database
from storage.staff import access_of
from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent


def zhaolu(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    probe = ("import sys; from bot.cli import main; code = main(sys.argv[1:]); "
             "assert 'aiogram' not in sys.modules, 'imported aiogram'; sys.exit(code)")
    import os

    return subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, check=False)


def test_invite_refusals_name_what_is_valid(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'z.db'}"
    done = zhaolu("staff", "invite", "--role", "base_staff", "--campaign", "xiaogan-2023",
                  "--base", "武汉协和", "--db", db)
    assert done.returncode == 2
    assert "孝感市第一人民医院、汉川市人民医院、安陆市普爱医院" in done.stderr
    done = zhaolu("staff", "invite", "--role", "coordinator", "--db", db)
    assert done.returncode == 2 and "xiaogan-2023" in done.stderr
    done = zhaolu("staff", "invite", "--role", "base_staff", "--campaign", "fujian-2023",
                  "--base", "x", "--db", db)
    assert done.returncode == 2 and "no training bases" in done.stderr
    done = zhaolu("staff", "invite", "--role", "admin", "--campaign", "xiaogan-2023",
                  "--db", db)
    assert done.returncode == 2 and "every campaign" in done.stderr


async def test_invite_accept_list_revoke_audit_round_trip(db_url: str, tmp_path) -> None:
    done = zhaolu("staff", "invite", "--role", "base_staff", "--campaign", "xiaogan-2023",
                  "--base", "汉川", "--db", db_url, "--now", "2023-05-10T09:00",
                  env={"ZHAOLU_BOT_USERNAME": "zhaolu_bot"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("invite #1: base_staff (xiaogan-2023 · hanchuan), single use")
    assert "2023-05-13 09:00" in lines[0]
    assert lines[1].startswith("https://t.me/zhaolu_bot?start=staff-")
    start = lines[2]
    assert start.startswith("/start staff-") and lines[1].endswith(start.split()[1])

    h = await Harness.create(db_url, var_dir=tmp_path / "var")
    calls = await h.send(start, 3001)
    assert "汉川市人民医院" in calls.text and "基地工作人员" in calls.text
    await h.close()

    listed = zhaolu("staff", "list", "--jsonl", "--db", db_url)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["telegram_id"], r["role"], r["base"]) for r in rows] == \
        [(1, 3001, "base_staff", "hanchuan")]
    text = zhaolu("staff", "list", "--db", db_url).stdout
    assert "3001" in text and "hanchuan" in text

    revoked = zhaolu("staff", "revoke", "1", "--db", db_url)
    assert revoked.returncode == 0 and revoked.stdout.startswith("revoked #1: base_staff")
    assert zhaolu("staff", "revoke", "1", "--db", db_url).returncode == 1
    assert zhaolu("staff", "list", "--db", db_url).stdout.strip() == "no staff"
    assert "revoked" in zhaolu("staff", "list", "--all", "--db", db_url).stdout

    engine = create_engine(db_url)
    await prepare_database(engine)
    async with make_sessionmaker(engine)() as session:
        assert await access_of(session, telegram_id=3001) is None
        entries = await audit.latest(session)
    await engine.dispose()
    assert [e.action for e in entries] == ["staff.revoke", "invite.redeem", "invite.create"]

    log = zhaolu("audit", "--jsonl", "--db", db_url)
    rows = [json.loads(line) for line in log.stdout.splitlines()]
    assert [r["action"] for r in rows] == ["staff.revoke", "invite.redeem", "invite.create"]
    assert rows[0]["actor"] == "cli" and rows[1]["actor_id"] == 3001
    assert set(rows[0]) == {"at", "actor_id", "actor", "role", "action", "campaign", "base",
                            "audience_size", "message", "detail"}
    since = zhaolu("audit", "--since", "2030-01-01", "--db", db_url)
    assert since.stdout.strip() == "no audit entries"
    scoped = zhaolu("audit", "--campaign", "fujian-2023", "--db", db_url)
    assert scoped.stdout.strip() == "no audit entries"
    plain = zhaolu("audit", "--db", db_url).stdout.splitlines()
    assert plain[-1].split("  ")[1:3] == ["cli", "invite.create"]
