"""Alembic environment: migrates the connection handed over by storage.engine (prepare_database,
revision). There is no alembic.ini: bring a database up to date with `zhaolu migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers every table)
from storage.migrations.render import include_object_for, render_item


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        render_item=render_item,
        include_object=include_object_for(connection.dialect.name),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if context.is_offline_mode() or given is None:
    raise SystemExit("storage migrations run through `zhaolu migrate` (storage.engine), not alone")
run_on(given)
