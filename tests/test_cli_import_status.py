"""`zhaolu import-status`: the exported XLSX, edited, previewed then applied from the CLI.

Exit codes are the contract: 0 every row fine, 1 some rows refused, 2 a bad file or campaign.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.cli import main as cli
from storage import registrations as repo
from storage.audit import AuditEntry
from storage.delivery import Delivery
from storage.engine import create_engine, make_sessionmaker, prepare_database
from storage.users import touch_user
from tests.registration_helpers import VAULT, applicant, id_number

NOW = datetime.fromisoformat("2023-07-20T10:00:00+08:00")
SECRET = "registration tests secret key!!"
IDS = {u: id_number(f"42090219980201{u}12") for u in range(1, 6)}


async def _fill(url: str) -> None:
    """Xiaogan: five pre-registrations (汉川 ×3, 孝感一医, 安陆普爱); one already reported."""
    engine = create_engine(url)
    await prepare_database(engine)
    bases = {1: "hanchuan", 2: "hanchuan", 3: "hanchuan", 4: "xiaogan_first", 5: "anlu_puai"}
    async with make_sessionmaker(engine)() as session:
        for user, base in bases.items():
            await touch_user(session, user_id=user, first_name=f"申请人{user}", last_name=None,
                             username=None, now=NOW)
            made = await repo.create(
                session, vault=VAULT, campaign_slug="xiaogan-2023", receipt_prefix="XG2023",
                user_id=user, applicant=applicant(id_number=IDS[user], base_choices=(base,)),
                verdict="eligible", conditions=[], now=NOW)
            if user == 3:
                await repo.set_status(session, registration=made.registration,
                                      status=repo.ADMITTED, now=NOW)
                await repo.set_status(session, registration=made.registration,
                                      status=repo.REPORTED, now=NOW)
        await session.commit()
    await engine.dispose()


async def _state(url: str) -> tuple[dict[int, str], list[str], list[int]]:
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            found = (await session.exec(select(repo.Registration))).all()
            audit = (await session.exec(select(AuditEntry))).all()
            told = (await session.exec(select(Delivery))).all()
    finally:
        await engine.dispose()
    return ({r.user_id: r.status for r in found}, [f"{a.action}:{a.actor}" for a in audit],
            sorted(d.user_id for d in told))


@pytest.fixture
def filled(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ZHAOLU_SECRET_KEY", SECRET)
    asyncio.run(_fill(db_url))
    return db_url


def _export(url: str, out: Path) -> None:
    assert cli(["export", "--campaign", "xiaogan-2023", "--out", str(out), "--db", url]) == 0


def _edit(path: Path, changes: dict[str, tuple[str, str]]) -> None:
    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        where = {c.value: c.column for c in sheet[1]}
        for row in range(2, sheet.max_row + 1):
            receipt = sheet.cell(row, 1).value
            if receipt in changes:
                status, reason = changes[receipt]
                sheet.cell(row, where["状态"]).value = status
                sheet.cell(row, where["原因"]).value = reason
    workbook.save(path)


def test_preview_changes_nothing_then_apply_applies(filled: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "名单.xlsx"
    _export(filled, path)
    capsys.readouterr()
    _edit(path, {"XG2023-0001": ("已录取", ""), "XG2023-0002": ("放弃", "个人原因"),
                 "XG2023-0003": ("资格审核通过", "")})  # 已报到 → 审核通过: refused
    args = ["import-status", "--campaign", "xiaogan-2023", "--file", str(path), "--db", filled,
            "--now", "2023-07-20T11:00:00+08:00"]
    assert cli(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "import of 名单.xlsx into xiaogan-2023: 2 to change, 2 unchanged, 1 refused"
    assert "change   row 2 (汉川市人民医院) XG2023-0001 pre_registered -> admitted" in out
    assert any(line.startswith("refused  row 4 (汉川市人民医院) XG2023-0003 transition: ")
               and "已报到" in line for line in out)
    assert asyncio.run(_state(filled))[0] == {1: "pre_registered", 2: "pre_registered",
                                              3: "reported", 4: "pre_registered",
                                              5: "pre_registered"}
    assert cli([*args, "--apply", "--jsonl"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1] == {"summary": True, "changes": 2, "unchanged": 2, "refused": 1,
                         "applied": 2}
    assert {(x["receipt"], x["outcome"]) for x in lines[:-1]} == {
        ("XG2023-0001", "change"), ("XG2023-0002", "change"), ("XG2023-0003", "refused")}
    statuses, audit, told = asyncio.run(_state(filled))
    assert (statuses[1], statuses[2], statuses[3]) == ("admitted", "gave_up", "reported")
    assert audit.count("record.status:cli") == 2 and "record.import:cli" in audit
    assert told == [1, 2]
    # The same file again: nothing left to change, the refused row still refused.
    assert cli([*args, "--apply"]) == 1
    assert "0 to change, 4 unchanged, 1 refused" in capsys.readouterr().out
    assert asyncio.run(_state(filled))[2] == [1, 2]


def test_a_clean_file_exits_zero(filled: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.xlsx"
    _export(filled, path)
    _edit(path, {"XG2023-0004": ("资格审核不通过", "学历不符")})
    assert cli(["import-status", "--campaign", "xiaogan-2023", "--file", str(path), "--db",
                filled, "--apply"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "applied 1"
    assert asyncio.run(_state(filled))[0][4] == "review_failed"


def test_bad_files_and_campaigns_exit_two(filled: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    base = ["import-status", "--file", str(junk), "--db", filled]
    assert cli([*base, "--campaign", "xiaogan-2023"]) == 2
    assert "不是 XLSX 格式" in capsys.readouterr().err
    assert cli([*base, "--campaign", "nowhere"]) == 2
    assert "unknown campaign" in capsys.readouterr().err
    path = tmp_path / "xg.xlsx"
    _export(filled, path)
    assert cli(["import-status", "--campaign", "fujian-2023", "--file", str(path),
                "--db", filled]) == 2
    assert "另一个招录项目" in capsys.readouterr().err
    missing = ["import-status", "--campaign", "xiaogan-2023", "--file", str(tmp_path / "no"),
               "--db", filled]
    assert cli(missing) == 2
    assert asyncio.run(_state(filled))[2] == []


def test_import_status_does_not_import_aiogram(filled: str, tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    _export(filled, path)
    code = (
        "import sys; from bot.cli import main; "
        f"rc = main(['import-status', '--campaign', 'xiaogan-2023', '--file', {str(path)!r}, "
        f"'--db', {filled!r}]); "
        "assert 'aiogram' not in sys.modules, 'aiogram imported'; sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={"ZHAOLU_SECRET_KEY": SECRET, "PATH": ""},
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert "0 to change, 5 unchanged, 0 refused" in done.stdout
