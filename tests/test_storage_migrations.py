"""Migrations: upgrade an empty database, re-run safely, and match the models exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (every table, as Alembic sees them)
from storage.engine import create_engine, current_revision, head_revision, prepare_database
from storage.migrations.render import include_object_for, render_item

ROOT = Path(__file__).resolve().parent.parent


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _diff(connection) -> list:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_item": render_item,
                          "include_object": include_object_for(connection.dialect.name)}
    )
    return compare_metadata(context, SQLModel.metadata)


async def test_upgrade_head_on_an_empty_database_then_again(db_url):
    engine = create_engine(db_url)
    try:
        assert await current_revision(engine) is None
        await prepare_database(engine)
        head = head_revision()
        assert head is not None and await current_revision(engine) == head
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
        assert set(SQLModel.metadata.tables) | {"alembic_version"} == tables
        await prepare_database(engine)  # every start calls it: must be a no-op
        assert await current_revision(engine) == head
    finally:
        await engine.dispose()


async def test_the_migration_matches_the_models(engine):
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == [], "tables changed: run python -m storage.migrations.revision 'what changed'"


async def test_a_new_engine_on_the_same_file_sees_the_prepared_schema(tmp_path):
    url = f"sqlite+aiosqlite:///{(tmp_path / 'deep' / 'er' / 'z.db').as_posix()}"
    first = create_engine(url)
    await prepare_database(first)
    await first.dispose()
    second = create_engine(url)
    try:
        async with second.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        assert pragmas["journal_mode"] == "wal" and pragmas["foreign_keys"] == 1
        assert pragmas["busy_timeout"] >= 1000
        assert await current_revision(second) == head_revision()
    finally:
        await second.dispose()


def test_zhaolu_migrate_prints_the_head_and_never_imports_aiogram(tmp_path):
    url = f"sqlite:///{(tmp_path / 'var' / 'cli.db').as_posix()}"  # no driver: aiosqlite chosen
    probe = (
        "import sys; from bot.cli import main; code = main(['migrate', '--db', sys.argv[1]]); "
        "assert 'aiogram' not in sys.modules, 'migrate imported aiogram'; sys.exit(code)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe, url], capture_output=True, text=True, env=env, cwd=ROOT
        )
        assert done.returncode == 0, done.stderr
        assert f"revision {head_revision()} (head)" in done.stdout
    assert (tmp_path / "var" / "cli.db").exists()


async def test_0002_upgrades_a_database_in_use(db_url):
    """A database left at 0001 with planned reminders: 0002 adds the staff tables, and the
    reminders already in the ledger read as not urgent."""
    from alembic import command
    from sqlalchemy import text

    from storage.engine import alembic_config

    engine = create_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0001"))
            await connection.execute(text(
                "INSERT INTO messages (key, kind, text, created_at) "
                "VALUES ('rm:x', 'reminder', '提醒', CURRENT_TIMESTAMP)"))
        await prepare_database(engine)
        async with engine.connect() as connection:
            urgent = (await connection.execute(text("SELECT urgent FROM messages"))).scalar()
            tables = await connection.run_sync(_tables)
        assert urgent in (False, 0)
        assert {"staff_grants", "staff_invites", "audit_log", "announcements"} <= tables
    finally:
        await engine.dispose()
