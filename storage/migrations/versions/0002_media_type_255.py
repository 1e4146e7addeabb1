"""attachments.media_type holds the longest media type (RFC 6838: 127/127 characters)

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.alter_column(
            "media_type",
            existing_type=sa.String(length=127),
            type_=sa.String(length=255),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.alter_column(
            "media_type",
            existing_type=sa.String(length=255),
            type_=sa.String(length=127),
            existing_nullable=False,
        )
