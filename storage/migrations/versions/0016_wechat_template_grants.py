"""WeChat subscription templates (订阅通知) a user accepted: what messages outside the reply
window may go as

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_template_grants",
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=128), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["serial"],
            ["wechat_users.serial"],
        ),
        sa.PrimaryKeyConstraint("serial", "template_id"),
    )


def downgrade() -> None:
    op.drop_table("wechat_template_grants")
