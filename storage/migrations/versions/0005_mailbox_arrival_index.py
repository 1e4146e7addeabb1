"""mailbox folders listed by arrival through an (owner, folder, id) index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 05:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mailbox_owner_folder_arrival", ["owner", "folder", "id"], unique=False
        )
        batch_op.drop_index("ix_mailbox_owner_folder")


def downgrade() -> None:
    with op.batch_alter_table("mailbox_entries", schema=None) as batch_op:
        batch_op.create_index("ix_mailbox_owner_folder", ["owner", "folder"], unique=False)
        batch_op.drop_index("ix_mailbox_owner_folder_arrival")
