"""Messages kept for a WeChat user whose reply window was closed (a staff answer, a failed
send): shown at the user's next message

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_held",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wechat_held", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wechat_held_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wechat_held", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_held_user_id"))

    op.drop_table("wechat_held")
