"""The XLSX export of 20,000 registrations and the import of the same file with edited statuses.

Measured with the functions the chat and the CLI call (bot/xlsx_export.py `export_file`:
query, decrypt every ID number, build the sheet-per-base workbook; bot/xlsx_import.py
`read_file` + `validate`: the preview; storage/status_imports.py `apply_changes`: the confirm,
each change audited and queued in the delivery ledger). The edited file is the exported one
with EDITED rows' 状态 changed, as a coordinator's Excel would save it.

Target: each step under the time the coordinator's phone needs to move the same file over the
network, at UPLINK_MBIT (a weak 4G uplink; Telegram's own limits are 50 MB for a bot to send and
20 MB for a bot to download, and the import refuses more than 5 MB). SQLite always; with
ZHAOLU_BENCH_DATABASE_URL (a PostgreSQL database the bench may empty) repeated on it.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROWS = 20_000
EDITED = 500
UPLINK_MBIT = 1.0
SLUG = "xiaogan-2023"


def _id(n: int) -> str:
    from content.idcard import check_char

    first17 = f"420902{1990 + n % 10}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + check_char(first17)


async def _fill(url: str, settings: Any, campaign: Any) -> Any:
    from sqlalchemy import insert

    from content.masking import mask_id_number
    from storage.engine import create_engine, make_sessionmaker, prepare_database
    from storage.keys import open_vault
    from storage.models import User
    from storage.registrations import Registration

    engine = create_engine(url)
    if engine.dialect.name == "postgresql":  # a database of its own: start empty
        async with engine.begin() as connection:
            await connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            await connection.exec_driver_sql("CREATE SCHEMA public")
    await prepare_database(engine)
    now = datetime.now(UTC)
    async with make_sessionmaker(engine)() as session, session.begin():
        vault = await open_vault(session, settings, now)  # a fresh key, as at a first start
    bases = [b.id for b in campaign.plan.bases]
    users, rows = [], []
    for n in range(1, ROWS + 1):
        number = _id(n)
        users.append({"id": n, "first_name": "u", "first_seen": now, "last_seen": now})
        rows.append({
            "campaign_slug": SLUG, "user_id": n, "status": "pre_registered",
            "receipt_no": f"XG2023-{n:05d}", "id_cipher": vault.encrypt(number),
            "id_hash": vault.hash_id(number), "active_id_hash": vault.hash_id(number),
            "id_masked": mask_id_number(number), "name": f"学员{n}", "phone": "13812345678",
            "school": "湖北职业技术学院", "graduation_year": 2022, "education": "zk",
            "major": "临床医学", "qualification": "none", "person_type": "social",
            "base_choices": [bases[n % len(bases)]] if n % 17 else [],
            "accepts_adjustment": None, "verdict": "eligible", "conditions": [],
            "created_at": now, "updated_at": now})
    async with make_sessionmaker(engine)() as session, session.begin():
        for start in range(0, ROWS, 1000):
            await session.exec(insert(User).values(users[start:start + 1000]))
            await session.exec(insert(Registration).values(rows[start:start + 1000]))
    return engine


def _edit(data: bytes, texts: Any) -> bytes:
    """The exported file with EDITED rows set to 资格审核通过 (what Excel would save)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    label, left = texts("registration.status.review_passed"), EDITED
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        for row in range(2, min(sheet.max_row, 2 + EDITED // 4) + 1):
            if left:
                sheet.cell(row, 2).value = label
                left -= 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _run(url: str, name: str) -> None:
    from bot.settings import Settings
    from bot.xlsx_export import columns_of, export_file
    from bot.xlsx_import import read_file, validate
    from content.catalogue import load_catalogue
    from content.texts import default_texts
    from storage.crypto import vault_for
    from storage.engine import make_sessionmaker
    from storage.status_imports import apply_changes, by_receipt

    with tempfile.TemporaryDirectory() as var:
        settings = Settings(var_dir=Path(var), database_url=url)
        catalogue, texts = load_catalogue(), default_texts()
        campaign = catalogue.get(SLUG)
        engine = await _fill(url, settings, campaign)
        vault, now = vault_for(settings), datetime.now(UTC)
        sessionmaker = make_sessionmaker(engine)
        try:
            started = time.perf_counter()
            async with sessionmaker() as session:
                built = await export_file(session, campaign=campaign, texts=texts, vault=vault,
                                          table=None, only_base=None, masked=False, now=now)
            exported = time.perf_counter() - started
            edited = _edit(built.data, texts)
            started = time.perf_counter()
            parsed = read_file(edited, texts=texts,
                               columns_of=lambda s, t: columns_of(texts, catalogue, s, t))
            async with sessionmaker() as session:
                found = await by_receipt(session, campaign_slug=SLUG)
            preview = validate(parsed, registrations=found, texts=texts, scope_base=None,
                               id_matches=lambda r, cell: vault.hash_id(cell) == r.id_hash)
            previewed = time.perf_counter() - started
            started = time.perf_counter()
            async with sessionmaker() as session, session.begin():
                result = await apply_changes(
                    session, changes=[vars(c) for c in preview.changes], campaign=campaign,
                    texts=texts, scope_base=None, actor_id=None, actor_label="cli",
                    actor_role="", now=now + timedelta(seconds=1), source="cli")
            applied = time.perf_counter() - started
        finally:
            await engine.dispose()
    _report(name, built, len(edited), exported, previewed, applied, preview, result)


def _report(name: str, built: Any, edited_size: int, exported: float, previewed: float,
            applied: float, preview: Any, result: Any) -> None:
    def upload(size: int) -> float:
        return size * 8 / (UPLINK_MBIT * 1_000_000)

    def verdict(seconds: float, size: int) -> str:
        return "ok" if seconds < upload(size) else "ABOVE TARGET"

    print(f"{name}: export of {built.rows} registrations: {exported:.2f} s, "
          f"{built.data.__len__() / 1e6:.2f} MB, {built.sheets} sheets; moving that file at "
          f"{UPLINK_MBIT:g} Mbit/s takes {upload(len(built.data)):.1f} s "
          f"{verdict(exported, len(built.data))}")
    print(f"{name}: import preview (read + check {len(preview.changes) + preview.unchanged} "
          f"rows): {previewed:.2f} s for {edited_size / 1e6:.2f} MB, upload at "
          f"{UPLINK_MBIT:g} Mbit/s {upload(edited_size):.1f} s "
          f"{verdict(previewed, edited_size)}; {len(preview.changes)} to change, "
          f"{preview.unchanged} unchanged, {len(preview.refusals)} refused")
    print(f"{name}: confirm (each change audited and queued): {applied:.2f} s for "
          f"{len(result.changed)} changes ({applied / max(len(result.changed), 1) * 1000:.1f} "
          f"ms each), {len(result.refused)} refused")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", "SQLite"))
    if url := os.environ.get("ZHAOLU_BENCH_DATABASE_URL"):
        asyncio.run(_run(url, "PostgreSQL"))


if __name__ == "__main__":
    main()
