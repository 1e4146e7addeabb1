"""unread mailbox entries found through a partial index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 15:00:00

An adapter's subscription (``cases@ge``, ``cen@wco``) asks for the oldest unread entries
of its mailbox, many times a minute. Through the (owner, folder, id) index every entry
already read was stepped over first, and its row read to see so: the whole CEN (314,553
seizures into ``cen@wco``) spent ever longer per batch as the read ones piled up. The
index ``(owner, folder, id) WHERE read_at IS NULL`` (SQLite and PostgreSQL both have
partial indexes) holds the unread entries only, in arrival order; it also counts a
folder's unread mail without reading the folder.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNREAD = sa.text("read_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_mailbox_unread",
        "mailbox_entries",
        ["owner", "folder", "id"],
        unique=False,
        sqlite_where=UNREAD,
        postgresql_where=UNREAD,
    )


def downgrade() -> None:
    op.drop_index("ix_mailbox_unread", table_name="mailbox_entries")
