"""`zhaolu migrate [--db URL]`: bring the schema to the head revision and say which it is."""

from __future__ import annotations

import argparse
import asyncio

from bot.settings import settings_for


async def _migrate(url: str) -> str | None:
    from storage.engine import create_engine, current_revision, prepare_database

    engine = create_engine(url)
    try:
        await prepare_database(engine)
        return await current_revision(engine)
    finally:
        await engine.dispose()


def main(args: argparse.Namespace) -> int:
    url = settings_for(args).effective_database_url
    revision = asyncio.run(_migrate(url))
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    print(f"{shown}: revision {revision} (head)")
    return 0
