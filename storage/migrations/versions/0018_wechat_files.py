"""Files for WeChat users, served as links for 24 hours (their /mydata JSON, a staff member's
document): customer-service messages carry no documents

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_files",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("wechat_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wechat_files_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wechat_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_files_user_id"))

    op.drop_table("wechat_files")
