"""An announcement's file for WeChat recipients: its Telegram file id and name
(announcements), the ledger message's attachment (messages), files shared by many recipients
(wechat_files.source; user_id empty)

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_id", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("file_name", sa.String(length=200), nullable=True))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment", sa.Text(), nullable=True))

    with op.batch_alter_table("wechat_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=256), nullable=True))
        batch_op.alter_column("user_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_index(batch_op.f("ix_wechat_files_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wechat_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_files_source"))
        batch_op.alter_column("user_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("source")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("attachment")

    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_column("file_name")
        batch_op.drop_column("file_id")
