"""`zhaolu export`: exactly the active pre-registrations, full ID numbers, csv and xlsx."""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main as cli
from bot.cmd_export import headers
from storage import registrations as repo
from storage.engine import create_engine, make_sessionmaker, prepare_database
from tests.registration_helpers import VAULT, applicant, id_number

NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
SECRET = "registration tests secret key!!"
IDS = {1: id_number(), 2: id_number("42098119980505123"), 3: id_number("42092119970707123")}


async def _fill(url: str) -> None:
    """Three pre-registrations for Xiaogan (one then withdrawn), one for Fujian."""
    engine = create_engine(url)
    await prepare_database(engine)
    async with make_sessionmaker(engine)() as session:
        made = {}
        for user, base in ((1, "hanchuan"), (2, "xiaogan_first"), (3, "hanchuan")):
            outcome = await repo.create(
                session, vault=VAULT, campaign_slug="xiaogan-2023", receipt_prefix="XG2023",
                user_id=user, applicant=applicant(id_number=IDS[user], base_choices=(base,)),
                verdict="eligible", conditions=[], now=NOW)
            made[user] = outcome.registration
        await repo.set_status(session, registration=made[2], status=repo.WITHDRAWN, now=NOW)
        await repo.create(
            session, vault=VAULT, campaign_slug="fujian-2023", receipt_prefix="FJ2023",
            user_id=4, applicant=applicant(base_choices=(), accepts_adjustment=True),
            verdict="eligible", conditions=[], now=NOW)
        await session.commit()
    await engine.dispose()


@pytest.fixture
def filled(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ZHAOLU_SECRET_KEY", SECRET)
    asyncio.run(_fill(db_url))
    return db_url


def test_xlsx_lists_the_active_ones_with_full_id(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "xg.xlsx"
    assert cli(["export", "--campaign", "xiaogan-2023", "--format", "xlsx", "--out", str(out),
                "--db", filled]) == 0
    rows = list(load_workbook(out)["汉川市人民医院"].iter_rows(values_only=True))
    assert rows[0][:-1] == headers()  # then the hidden key column
    assert [(r[0], r[4]) for r in rows[1:]] == [("XG2023-0001", IDS[1]), ("XG2023-0003", IDS[3])]
    assert rows[1][1] == "已预登记" and rows[1][13] == "汉川市人民医院"
    assert out.stat().st_mode & 0o077 == 0


def test_csv_filtered_by_base_alias(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "hc.csv"
    assert cli(["export", "--campaign", "xiaogan-2023", "--base", "汉川", "--format", "csv",
                "--out", str(out), "--db", filled]) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(headers())
    assert [r[4] for r in rows[1:]] == [IDS[1], IDS[3]]
    out_first = tmp_path / "first.csv"
    assert cli(["export", "--campaign", "xiaogan-2023", "--base", "孝感市第一人民医院",
                "--format", "csv", "--out", str(out_first), "--db", filled]) == 0
    assert len(out_first.read_text(encoding="utf-8-sig").splitlines()) == 1  # withdrawn: none


def test_fujian_export_and_errors(filled: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fj.xlsx"
    assert cli(["export", "--campaign", "fujian-2023", "--out", str(out), "--db", filled]) == 0
    rows = list(load_workbook(out)["未选基地"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "FJ2023-0001" and rows[1][14] == "是"
    assert cli(["export", "--campaign", "nowhere", "--out", str(out), "--db", filled]) == 2
    assert cli(["export", "--campaign", "xiaogan-2023", "--base", "协和", "--out", str(out),
                "--db", filled]) == 2
    assert "unknown base" in capsys.readouterr().err


def test_export_does_not_import_aiogram(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    code = (
        "import sys; from bot.cli import main; "
        f"rc = main(['export', '--campaign', 'xiaogan-2023', '--format', 'csv', "
        f"'--out', {str(out)!r}, '--db', {filled!r}]); "
        "assert 'aiogram' not in sys.modules, 'aiogram imported'; sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={"ZHAOLU_SECRET_KEY": SECRET, "PATH": ""},
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert "2 active pre-registrations" in done.stdout
