"""`zhaolu reminders`: the planned schedule, its states at --now, audience sizes from --db."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.cli import main
from bot.clock import parse_moment
from bot.scheduler import plan_due
from tests.delivery_helpers import add_registration, add_users
from tests.harness import Harness


def test_schedule_at_a_moment(capsys) -> None:
    assert main(["reminders", "--campaign", "fujian-2023", "--now", "2023-07-09T09:00"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("福建省 2023")
    states = {(line.split()[2], line.split()[3]): line.split()[1] for line in lines[2:]}
    assert states[("opens_eve", "-1d@09:00")] == "passed"
    assert states[("opens", "0")] == "due"
    assert states[("report_in", "-1d@09:00")] == "upcoming"


def test_unknown_campaign(capsys) -> None:
    assert main(["reminders", "--campaign", "nowhere"]) == 2
    assert "xiaogan-2023" in capsys.readouterr().err


async def test_jsonl_with_database(harness: Harness, db_url: str, capsys) -> None:
    sm = harness.services.sessionmaker
    await add_users(sm, [1, 2, 3], slug="xiaogan-2023")
    await add_registration(sm, 3, "xiaogan-2023", "pre_registered")
    await plan_due(harness.services, parse_moment("2023-06-27T09:00"))
    args = ["reminders", "--campaign", "xiaogan-2023", "--now", "2023-06-28T12:00", "--jsonl",
            "--db", db_url]
    # The command runs its own event loop; run it outside the test's.
    code = subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, check=False)
    assert code.returncode == 0, code.stderr
    rows = [json.loads(line) for line in code.stdout.splitlines()]
    by = {(r["reminder"], r["offset"]): r for r in rows}
    assert by[("closes", "-3d@09:00")]["state"] == "sent"
    assert by[("closes", "-3d@09:00")]["recipients"] == 2
    assert by[("closes_official", "-1d@09:00")] == by[("closes_official", "-1d@09:00")] | {
        "state": "upcoming", "recipients": 1}


def test_no_aiogram_import() -> None:
    code = ("import sys; from bot.cli import main; "
            "main(['reminders', '--campaign', 'xiaogan-2023', '--db', 'sqlite://']); "
            "assert not [m for m in sys.modules if m.startswith('aiogram')], 'aiogram imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
