"""the transactional inbox of updates (recorded before they are acknowledged), and Bot API
replies that could not be delivered after the retry policy gave up

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "undelivered_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("undelivered_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_undelivered_replies_chat_id"), ["chat_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_undelivered_replies_failed_at"), ["failed_at"], unique=False
        )

    op.create_table(
        "update_inbox",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel", "update_id"),
    )
    with op.batch_alter_table("update_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_update_inbox_handled_at"), ["handled_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_update_inbox_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_update_inbox_user_id"), ["user_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("update_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_update_inbox_user_id"))
        batch_op.drop_index(batch_op.f("ix_update_inbox_received_at"))
        batch_op.drop_index(batch_op.f("ix_update_inbox_handled_at"))

    op.drop_table("update_inbox")
    with op.batch_alter_table("undelivered_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_undelivered_replies_failed_at"))
        batch_op.drop_index(batch_op.f("ix_undelivered_replies_chat_id"))

    op.drop_table("undelivered_replies")
