"""suspects and companies found by a name's first letters through one index range

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:30:00

A name search asked ``key LIKE 'beri' || '%'`` of ``case_party_keys``: SQLite's LIKE
ignores case, so its (BINARY) index on ``(kind, key)`` could not serve it, and every name
key was read; PostgreSQL can only use a B-tree for a prefix under the "C" collation. Then,
with no statistics, SQLite chose to read every party of the kind and look each up in
the keys. Now the search asks for the range ``'beri' <= key < 'berj'``, keys compare
byte by byte on PostgreSQL too (``COLLATE "C"``), and each key row carries its party's
kind (``party_kind``, filled here from ``case_parties``), so that the index
``(party_kind, kind, key, party_id)`` gives a search's party ids, in order, by itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = "case_party_keys"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table(KEYS, schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_kind", sa.String(length=8), nullable=True))
    op.execute(
        sa.text(
            "UPDATE case_party_keys SET party_kind = "
            "(SELECT kind FROM case_parties WHERE case_parties.id = case_party_keys.party_id)"
        )
    )
    with op.batch_alter_table(KEYS, schema=None) as batch_op:
        batch_op.drop_index("ix_case_party_key")
        batch_op.alter_column("party_kind", existing_type=sa.String(length=8), nullable=False)
        if postgresql:  # SQLite compares text byte by byte already (BINARY)
            batch_op.alter_column(
                "key",
                existing_type=sa.String(length=300),
                type_=sa.String(length=300, collation="C"),
                existing_nullable=False,
            )
        batch_op.create_index(
            "ix_case_party_search", ["party_kind", "kind", "key", "party_id"], unique=False
        )
    if postgresql:  # statistics for the rewritten rows now: until autovacuum's next pass
        op.execute(sa.text(f"ANALYZE {KEYS}"))  # the planner chose slow plans (p95 x3)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table(KEYS, schema=None) as batch_op:
        batch_op.drop_index("ix_case_party_search")
        if postgresql:
            batch_op.alter_column(
                "key",
                existing_type=sa.String(length=300, collation="C"),
                type_=sa.String(length=300),
                existing_nullable=False,
            )
        batch_op.drop_column("party_kind")
        batch_op.create_index("ix_case_party_key", ["kind", "key"], unique=False)
