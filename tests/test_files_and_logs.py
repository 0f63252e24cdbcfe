"""Files and logs hold no personal data for others (issue 14 findings 3–5): the var directory
0700, the SQLite file with its -wal and -shm and the key file 0600 whatever the umask; SQL
parameters hidden from database errors in the log; SQLite overwriting deleted content."""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.logs import setup_logging
from bot.settings import CHECKOUT
from storage.engine import _on_sqlite_connect, create_engine, prepare_database

NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
ID = "420984199901011234"
NAME = "欧阳某某"
MARKER = "旧数据标记ZHAOLU-DELETED-4711"


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The most permissive umask: whatever is private must be made so explicitly."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.usefixtures("lax_umask")
async def test_the_database_and_its_companions_are_private(tmp_path: Path) -> None:
    database = tmp_path / "var" / "zhaolu.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await prepare_database(engine)
        async with engine.connect() as connection:  # held open: -wal and -shm exist now
            await connection.execute(text("SELECT count(*) FROM users"))
            companions = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in companions)
            assert [mode(p) for p in (database, *companions)] == [0o600, 0o600, 0o600]
    finally:
        await engine.dispose()
    assert mode(tmp_path / "var") == 0o700


@pytest.mark.usefixtures("lax_umask")
async def test_files_left_readable_by_an_earlier_version_are_tightened(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    for name in ("zhaolu.db", "zhaolu.db-wal"):
        (var / name).touch(mode=0o644)
    engine = create_engine(f"sqlite+aiosqlite:///{var / 'zhaolu.db'}")
    await engine.dispose()
    assert mode(var / "zhaolu.db") == mode(var / "zhaolu.db-wal") == 0o600


def test_a_command_under_a_lax_umask_leaves_everything_private(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHAOLU_")}
    env["ZHAOLU_VAR_DIR"] = str(tmp_path / "var")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--campaign", "xiaogan-2023", "--format",
         "csv", "--out", str(tmp_path / "out.csv")],
        env=env, text=True, capture_output=True, timeout=120, cwd=CHECKOUT,
        preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stderr
    var = tmp_path / "var"
    assert mode(var) == 0o700
    assert {p.name: mode(p) for p in var.iterdir()} == {
        name: 0o600 for name in ("zhaolu.db", "secret.key",
                                 *(p.name for p in var.glob("zhaolu.db-*")))}
    assert mode(tmp_path / "out.csv") == 0o600


def test_every_sqlite_connection_turns_secure_delete_on() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA secure_delete=OFF")  # upstream's default build
    _on_sqlite_connect(connection, None)
    assert connection.execute("PRAGMA secure_delete").fetchone() == (1,)
    connection.close()


async def test_deleted_text_is_gone_from_the_file(tmp_path: Path) -> None:
    database = tmp_path / "zhaolu.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await prepare_database(engine)
        async with engine.begin() as connection:
            assert (await connection.execute(text("PRAGMA secure_delete"))).scalar() == 1
            for n in range(50):  # enough rows to fill pages that are then freed
                await connection.execute(text(
                    "INSERT INTO unanswered_questions (campaign_slug, question, normalised, "
                    "best_score, asked_at) VALUES ('x', :q, :n, 0, :at)"),
                    {"q": f"{MARKER} {n} " + "长" * 300, "n": f"n{n}", "at": NOW})
        async with engine.begin() as connection:
            await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        assert MARKER.encode() in database.read_bytes()
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM unanswered_questions"))
        async with engine.begin() as connection:
            await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        await engine.dispose()
    leftovers = [p.name for p in tmp_path.iterdir() if MARKER.encode() in p.read_bytes()]
    assert leftovers == []


async def test_a_failing_statement_logs_no_parameter(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A NOT NULL violation (SQLite) or a NUL character (PostgreSQL): the error names the
    statement, never the values, and what is logged carries neither the name nor the number."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        setup_logging("INFO")
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        engine = create_engine(db_url)
        postgres = engine.dialect.name == "postgresql"
        await prepare_database(engine)
        question = f"我叫{NAME}，身份证{ID}" + ("\x00" if postgres else "")
        with pytest.raises(Exception) as failed:
            async with engine.begin() as connection:
                await connection.execute(text(
                    "INSERT INTO unanswered_questions (campaign_slug, question, normalised, "
                    "best_score, asked_at) VALUES (:slug, :q, :n, 0, :at)"),
                    {"slug": "x" if postgres else None, "q": question, "n": question,
                     "at": NOW})
        await engine.dispose()
        logging.getLogger("zhaolu.test").error("update 1 failed", exc_info=failed.value)
    finally:
        root.handlers, root.level = handlers, level
    logged = stream.getvalue()
    assert "update 1 failed" in logged and "INSERT INTO unanswered_questions" in logged
    assert "parameters hidden" in str(failed.value)
    assert NAME not in logged and ID not in logged and NAME not in str(failed.value)


def test_a_number_in_any_log_line_is_masked() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        setup_logging("INFO")
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        logging.getLogger("zhaolu.test").warning("typed %s and 138 1234 5678", ID)
    finally:
        root.handlers, root.level = handlers, level
    assert "4209**********1234" in stream.getvalue() and "138****5678" in stream.getvalue()
    assert ID not in stream.getvalue()
