"""personal numbers already stored in free text masked; material file names no longer kept

Unanswered questions (text and normalised form), the names of uploaded status files and FAQ
overlay questions are masked with content/masking.py, as they are now masked before storing;
registration_materials.file_name is dropped (a scan's name may be its owner's ID number, and the
privacy text promises Telegram file ids only). The downgrade brings the column back empty; the
masked texts stay masked.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from content.masking import mask_personal_numbers

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, columns) of free text a person typed that may hold an ID or mobile number.
TEXTS = (
    ("unanswered_questions", ("question", "normalised")),
    ("status_imports", ("file_name",)),
    ("faq_overlay", ("question",)),
)


def _mask(table: str, columns: tuple[str, ...]) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}"))
    for row in rows.mappings().all():
        changed = {c: mask_personal_numbers(row[c]) for c in columns if row[c]}
        changed = {c: v for c, v in changed.items() if v != row[c]}
        if changed:
            sets = ", ".join(f"{c} = :{c}" for c in changed)
            connection.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"),
                               {**changed, "id": row["id"]})


def upgrade() -> None:
    for table, columns in TEXTS:
        _mask(table, columns)
    with op.batch_alter_table("registration_materials", schema=None) as batch_op:
        batch_op.drop_column("file_name")


def downgrade() -> None:
    with op.batch_alter_table("registration_materials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_name", sa.VARCHAR(length=255), nullable=True))
