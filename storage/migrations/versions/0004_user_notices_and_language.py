"""notification email and language of users; notification marks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 03:12:39.864958
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_marks",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("notified_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_email", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), server_default="en", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("notify_email")

    op.drop_table("notification_marks")
