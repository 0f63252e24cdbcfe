"""staff inbox: staff groups, question threads, their messages and the copies posted to staff

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_slug", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("bound_by", sa.BigInteger(), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_slug"),
    )
    with op.batch_alter_table("staff_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_groups_chat_id"), ["chat_id"], unique=False)

    op.create_table(
        "inbox_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_slug", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("base_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("claimed_by", sa.BigInteger(), nullable=True),
        sa.Column("claimed_label", sa.String(length=128), nullable=True),
        sa.Column("group_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("topic_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_slug", "user_id", name="uq_inbox_threads_user"),
    )
    with op.batch_alter_table("inbox_threads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_threads_campaign_slug"), ["campaign_slug"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbox_threads_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbox_threads_updated_at"), ["updated_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbox_threads_user_id"), ["user_id"], unique=False)

    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_label", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("unanswered_id", sa.Integer(), nullable=True),
        sa.Column("replied", sa.Boolean(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("faq_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_messages_thread_id"), ["thread_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbox_messages_user_id"), ["user_id"], unique=False)

    op.create_table(
        "inbox_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("inbox_message_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_inbox_copies_message"),
    )
    with op.batch_alter_table("inbox_copies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_copies_thread_id"), ["thread_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_copies_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    for table, columns in (
        ("inbox_copies", ("user_id", "thread_id")),
        ("inbox_messages", ("user_id", "thread_id")),
        ("inbox_threads", ("user_id", "updated_at", "status", "campaign_slug")),
        ("staff_groups", ("chat_id",)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
