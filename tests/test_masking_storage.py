"""Personal numbers typed by people are masked before they are stored, whoever stores them, and
material file names are not kept (issue 14 finding 2); rows stored before are masked by the
migration."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import CHECKOUT
from content.masking import MASKED, mask_id_number, mask_personal_numbers, mask_phone
from storage.engine import alembic_config, create_engine, prepare_database
from storage.faq_overlay import add_entry
from storage.registration_materials import RegistrationMaterial
from storage.status_imports import create as create_import
from storage.unanswered import record_unanswered
from tests.db import sqlite_url
from tests.harness import Harness
from tests.test_registration_chat import FUJIAN_NOW, fill_common, start_form

NOW = datetime.fromisoformat("2023-05-10T10:00:00+08:00")
ID = "420984199901011234"
PHONE = "13812345678"
TYPED = f"我叫张三，手机{PHONE}，身份证{ID}，能报名吗"


def test_one_function_masks_values_and_text_alike() -> None:
    assert mask_id_number(ID) == "4209**********1234" == mask_personal_numbers(ID)
    assert mask_id_number("42098419990101123x") == "4209**********123X"
    assert mask_phone(PHONE) == "138****5678" == mask_personal_numbers(PHONE)
    assert mask_id_number("123") == "***"
    assert MASKED.search(mask_personal_numbers(TYPED))


async def _dump(session: AsyncSession, table: str) -> str:
    return repr((await session.exec(text(f"SELECT * FROM {table}"))).all())


async def test_repositories_mask_whatever_their_callers_pass(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await record_unanswered(session, campaign_slug="xiaogan-2023", question=TYPED + "\x00",
                                normalised=TYPED, best_score=0.0, asked_at=NOW)
        await add_entry(session, campaign_slug="xiaogan-2023", question=f"{TYPED}？",
                        answer="可以。", author_id=7, author_label="张老师", now=NOW)
        await create_import(session, campaign_slug="xiaogan-2023", actor_id=7, scope_base=None,
                            file_name=f"{ID}名单.xlsx", changes=[], refusals=[], unchanged=0,
                            now=NOW)
        await session.commit()
        stored = "".join([await _dump(session, t) for t in
                          ("unanswered_questions", "faq_overlay", "status_imports")])
    assert ID not in stored and PHONE not in stored and "\\x00" not in stored
    assert "4209**********1234" in stored and "138****5678" in stored


def test_zhaolu_ask_logs_and_unanswered_prints_the_question_masked(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHAOLU_")}
    env |= {"ZHAOLU_VAR_DIR": str(tmp_path / "var"), "ZHAOLU_DATABASE_URL": sqlite_url(tmp_path)}

    def zhaolu(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, text=True,
                              capture_output=True, timeout=120, cwd=CHECKOUT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    zhaolu("ask", "--campaign", "xiaogan-2023", f"宿舍有空调吗？{TYPED}")
    listed = zhaolu("unanswered", "--jsonl")
    assert "4209**********1234" in listed and ID not in listed and PHONE not in listed
    assert ID.encode() not in (tmp_path / "zhaolu.db").read_bytes()


async def test_a_scan_named_after_its_owners_id_number_keeps_no_name(harness: Harness) -> None:
    harness.clock.set(FUJIAN_NOW)
    await start_form(harness, "fujian-2023")
    await fill_common(harness)
    await harness.press("社会人")
    await harness.press("接受调剂")
    await harness.press("✅ 确认提交")
    await harness.press("📎 材料预检")
    checked = await harness.send_content("document", file_name=f"{ID}张三.jpg", size=250_000)
    assert "✅ 身份证正反面" in checked.text and ID not in checked.text
    shown = await harness.send("/mydata")
    assert ID not in shown.text and "身份证正反面（通过）" in shown.text
    async with harness.services.sessionmaker() as session:
        [kept] = (await session.exec(select(RegistrationMaterial))).all()
        dumped = await _dump(session, "registration_materials")
    assert not hasattr(kept, "file_name") and ID not in dumped and "张三" not in dumped


def _to(revision: str):
    def upgrade(connection: Connection) -> None:
        from alembic import command

        command.upgrade(alembic_config(connection), revision)
    return upgrade


async def test_the_migration_masks_rows_stored_before(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_to("0008"))
            await connection.execute(text(
                "INSERT INTO unanswered_questions (campaign_slug, question, normalised, "
                "best_score, asked_at) VALUES ('xiaogan-2023', :q, :n, 0, :at)"),
                {"q": TYPED, "n": TYPED, "at": NOW})
            await connection.execute(text(
                "INSERT INTO status_imports (campaign_slug, actor_id, file_name, state, changes, "
                "refusals, unchanged, created_at, expires_at) VALUES ('xiaogan-2023', 7, :f, "
                "'pending', '[]', '[]', 0, :at, :at)"), {"f": f"{ID}.xlsx", "at": NOW})
        await prepare_database(engine)
        async with engine.connect() as connection:
            questions = (await connection.execute(text(
                "SELECT question, normalised FROM unanswered_questions"))).all()
            names = (await connection.execute(text("SELECT file_name FROM status_imports"))).all()
            columns = await connection.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns("registration_materials")])
    finally:
        await engine.dispose()
    assert questions == [(mask_personal_numbers(TYPED), mask_personal_numbers(TYPED))]
    assert names == [("4209**********1234.xlsx",)]
    assert "file_name" not in columns


async def test_a_question_with_a_nul_character_is_answered_and_kept_masked(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL's text cannot hold NUL: such a question failed the whole update (and its
    error logged the row, ID number included); now the character is dropped."""
    await harness.send("/start xiaogan-2023")
    with caplog.at_level(logging.ERROR):
        calls = await harness.send(f"宿舍有空调吗\x00{ID}")
    assert calls.texts and not caplog.records
    async with harness.services.sessionmaker() as session:
        stored = await _dump(session, "unanswered_questions")
    assert ID not in stored and "4209**********1234" in stored
