"""The delivery ledger records each row's channel (telegram, wechat) and outcome (how it went:
bot_api, customer_service, subscribe_message, window_closed, shown_at_next_message); rows already
there are on the channel of their recipient's id

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=False,
                                      server_default="telegram"))
        batch_op.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
    op.execute(sa.text("UPDATE deliveries SET channel = 'wechat' WHERE user_id >= :base")
               .bindparams(base=2**52))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("channel")
