"""Rewrite versions/0001_initial.py from the current tables.

Run: ``python -m storage.migrations.regenerate``.

Until the first release there is one migration. This deletes it and autogenerates it again against
a temporary empty SQLite database; the rendered types are plain SQLAlchemy ones (see env.py), so
the same file runs on PostgreSQL. Run it after changing any table.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import Connection

from storage.engine import MIGRATIONS_DIR, alembic_config, create_engine

INITIAL = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def _autogenerate(connection: Connection) -> None:
    from alembic import command

    command.revision(
        alembic_config(connection), message="initial", autogenerate=True, rev_id="0001"
    )


async def _regenerate(scratch: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{(scratch / 'empty.db').as_posix()}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_autogenerate)
    finally:
        await engine.dispose()


def _tidy(path: Path) -> None:
    """Let ruff settle import order and whitespace, when it is installed (the dev extra)."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        return
    subprocess.run([ruff, "check", "--fix", "--quiet", str(path)], check=False)
    subprocess.run([ruff, "format", "--quiet", str(path)], check=False)


def main() -> None:
    INITIAL.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="zhaolu-migrate-") as scratch:
        asyncio.run(_regenerate(Path(scratch)))
    if not INITIAL.exists():
        raise SystemExit(f"alembic did not write {INITIAL}")
    _tidy(INITIAL)
    print(f"wrote {INITIAL}")


if __name__ == "__main__":
    main()
