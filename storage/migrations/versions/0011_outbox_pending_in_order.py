"""the outbox's state index gives its rows in order

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 04:00:00

The dispatcher takes the oldest pending rows, ``WHERE state = 'pending' ORDER BY id
LIMIT n``. Through ``ix_outbox_state_node`` (state, node) the pending rows came in node
order, and each look sorted *all* of them to keep the first few hundred: harmless while
the dispatcher keeps up, quadratic when a sender outruns it (the whole CEN, 314,553
seizures submitted faster than they were sealed, went from 65 to 96 s). ``(state, id)``
gives them in order; the backlog (per node, of the rows not sent) and the sealed
envelopes still find their rows by state, and there are as many index entries as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_outbox_state_node", table_name="outbox")
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_state_id", table_name="outbox")
    op.create_index("ix_outbox_state_node", "outbox", ["state", "node"], unique=False)
