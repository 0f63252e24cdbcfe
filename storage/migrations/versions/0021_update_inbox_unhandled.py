"""update_inbox, on PostgreSQL: a partial index of the unhandled rows by channel, user and
update_id, for the per-update order check and the sweeper (they read the whole primary-key range
before)

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL only, as the model says (storage/update_inbox.py: a SQLite bug with it).
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index("ix_update_inbox_unhandled", "update_inbox",
                    ["channel", "user_id", "update_id"], unique=False,
                    postgresql_where=sa.text("handled_at IS NULL"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_update_inbox_unhandled", table_name="update_inbox")
