"""FAQ entries staff added in the chat (an overlay on the YAML); unanswered questions answered

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "faq_overlay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_slug", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("phrasings", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("author_label", sa.String(length=128), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("faq_overlay", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_faq_overlay_campaign_slug"), ["campaign_slug"], unique=False
        )
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answered_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("faq_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_unanswered_questions_faq_id"), ["faq_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unanswered_questions_faq_id"))
        batch_op.drop_column("faq_id")
        batch_op.drop_column("answered_by")
        batch_op.drop_column("answered_at")
    with op.batch_alter_table("faq_overlay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faq_overlay_campaign_slug"))
    op.drop_table("faq_overlay")
