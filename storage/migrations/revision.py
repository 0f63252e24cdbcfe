"""Write the next migration from the difference between the tables and the head revision.

Run: ``python -m storage.migrations.revision "what changed"``.

The first release shipped 0001; databases in use are at some revision, so a table change is a new
revision on top, never an edit of an old one. This upgrades a temporary empty SQLite database to
the current head and autogenerates the next revision (0002, 0003, …) against it; the rendered
types are plain SQLAlchemy ones (see render.py), so the same file runs on PostgreSQL. Read the
result before committing: autogenerate does not see renames.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import Connection

from storage.engine import MIGRATIONS_DIR, alembic_config, create_engine, head_revision

VERSIONS = MIGRATIONS_DIR / "versions"


def _next_id() -> str:
    head = head_revision()
    return f"{int(head) + 1:04d}" if head else "0001"


def _slug(message: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "change"


async def _write(scratch: Path, message: str, rev_id: str) -> None:
    from alembic import command

    def upgrade_then_autogenerate(connection: Connection) -> None:
        config = alembic_config(connection)
        command.upgrade(config, "head")
        command.revision(config, message=_slug(message), autogenerate=True, rev_id=rev_id)

    engine = create_engine(f"sqlite+aiosqlite:///{(scratch / 'head.db').as_posix()}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_then_autogenerate)
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
    if len(sys.argv) != 2:
        raise SystemExit('usage: python -m storage.migrations.revision "what changed"')
    rev_id = _next_id()
    with tempfile.TemporaryDirectory(prefix="zhaolu-migrate-") as scratch:
        asyncio.run(_write(Path(scratch), sys.argv[1], rev_id))
    written = sorted(VERSIONS.glob(f"{rev_id}_*.py"))
    if not written:
        raise SystemExit(f"alembic wrote no {rev_id}_*.py in {VERSIONS}")
    _tidy(written[0])
    print(f"wrote {written[0]}")


if __name__ == "__main__":
    main()
