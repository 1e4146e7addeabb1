"""SQLite: entries are indexed for search by the statement that files them, in bulk

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:30:00

Migration 0006 indexed each mailbox entry from a row trigger as it was filed. Row by row,
FTS5 costs about 50 µs an entry; the same rows added by one ``INSERT … SELECT`` after the
batch is filed cost about 20 µs (measured with 1 KiB bodies). So on SQLite the filing
trigger goes, and a view gives the indexed values of each entry, computed with the very
expressions 0006's removal triggers use (a row of a contentless FTS5 table is removed by
giving it the values it was indexed with): ``storage/mailbox.py`` adds the rows of the
entries it has just filed from this view, in the same transaction. PostgreSQL keeps its
trigger (the server does that work in its own process); nothing changes there.
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_0006 = importlib.import_module("storage.migrations.versions.0006_message_search")
VIEW = "message_search_rows"
FILED = "message_search_filed"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    _0006._sql(f"DROP TRIGGER IF EXISTS {FILED}")
    _0006._sql(
        f"CREATE VIEW {VIEW} (entry_id, {_0006.COLUMNS}) AS "  # noqa: S608 (own names only)
        f"SELECT e.id, {_0006._sqlite_values('m', 'e')} "
        "FROM mailbox_entries AS e JOIN messages AS m ON m.id = e.message_id"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    _0006._sql(f"DROP VIEW IF EXISTS {VIEW}")
    _0006._sql(f"CREATE TRIGGER {FILED} {_0006.SQLITE_TRIGGERS[FILED]}")
