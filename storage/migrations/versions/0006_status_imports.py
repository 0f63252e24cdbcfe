"""status imports from an uploaded XLSX, held between preview and confirm

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_slug", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("scope_base", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("refusals", sa.JSON(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_imports_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_status_imports_campaign_slug"), ["campaign_slug"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_imports_campaign_slug"))
        batch_op.drop_index(batch_op.f("ix_status_imports_actor_id"))
    op.drop_table("status_imports")
