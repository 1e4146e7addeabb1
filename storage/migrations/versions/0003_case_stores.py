"""case stores: seizures, suspects and companies, validation history, CEN transmissions and feed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:37:37.955494
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("display_name", storage.models.NulFreeString(length=300), nullable=False),
        sa.Column("foreign", sa.Boolean(), nullable=False),
        sa.Column("origin_node", sa.String(length=16), nullable=False),
        sa.Column("handling_code", sa.String(length=4), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "origin_node", "ref", name="uq_case_party_ref"),
    )
    op.create_table(
        "case_seizures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("case_number", storage.models.NulFreeString(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("office", sa.String(length=32), nullable=True),
        sa.Column("place_kind", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("validated_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("foreign", sa.Boolean(), nullable=False),
        sa.Column("origin_node", sa.String(length=16), nullable=False),
        sa.Column("handling_code", sa.String(length=4), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("origin_node", "ref", name="uq_case_seizure_ref"),
    )
    with op.batch_alter_table("case_seizures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_seizures_case_number"), ["case_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_seizures_occurred_on"), ["occurred_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_seizures_place_kind"), ["place_kind"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_seizures_status"), ["status"], unique=False)

    op.create_table(
        "cen_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seizure_ref", sa.String(length=64), nullable=False),
        sa.Column("origin_node", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("seizure_date", sa.Date(), nullable=False),
        sa.Column("received_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seizure_ref"),
    )
    with op.batch_alter_table("cen_feed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cen_feed_origin_node"), ["origin_node"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cen_feed_seizure_date"), ["seizure_date"], unique=False
        )

    op.create_table(
        "case_commodities",
        sa.Column("seizure_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["seizure_id"], ["case_seizures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seizure_id", "position"),
    )
    with op.batch_alter_table("case_commodities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_commodity_category", ["category", "seizure_id"], unique=False
        )

    op.create_table(
        "case_links",
        sa.Column("seizure_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["case_parties.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seizure_id"], ["case_seizures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seizure_id", "party_id"),
    )
    with op.batch_alter_table("case_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_links_party_id"), ["party_id"], unique=False)

    op.create_table(
        "case_party_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["case_parties.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_party_keys", schema=None) as batch_op:
        batch_op.create_index("ix_case_party_key", ["kind", "key"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_party_keys_party_id"), ["party_id"], unique=False)

    op.create_table(
        "case_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seizure_id", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(length=16), nullable=False),
        sa.Column("handling_code", sa.String(length=4), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["seizure_id"], ["case_seizures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_shares_seizure_id"), ["seizure_id"], unique=False)

    op.create_table(
        "case_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seizure_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["seizure_id"], ["case_seizures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_transitions_seizure_id"), ["seizure_id"], unique=False
        )

    op.create_table(
        "cen_transmissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seizure_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("sent_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["seizure_id"], ["case_seizures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seizure_id", "revision", name="uq_cen_transmission"),
    )
    with op.batch_alter_table("cen_transmissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cen_transmissions_seizure_id"), ["seizure_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cen_transmissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cen_transmissions_seizure_id"))

    op.drop_table("cen_transmissions")
    with op.batch_alter_table("case_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_transitions_seizure_id"))

    op.drop_table("case_transitions")
    with op.batch_alter_table("case_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_shares_seizure_id"))

    op.drop_table("case_shares")
    with op.batch_alter_table("case_party_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_party_keys_party_id"))
        batch_op.drop_index("ix_case_party_key")

    op.drop_table("case_party_keys")
    with op.batch_alter_table("case_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_links_party_id"))

    op.drop_table("case_links")
    with op.batch_alter_table("case_commodities", schema=None) as batch_op:
        batch_op.drop_index("ix_case_commodity_category")

    op.drop_table("case_commodities")
    with op.batch_alter_table("cen_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cen_feed_seizure_date"))
        batch_op.drop_index(batch_op.f("ix_cen_feed_origin_node"))

    op.drop_table("cen_feed")
    with op.batch_alter_table("case_seizures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_seizures_status"))
        batch_op.drop_index(batch_op.f("ix_case_seizures_place_kind"))
        batch_op.drop_index(batch_op.f("ix_case_seizures_occurred_on"))
        batch_op.drop_index(batch_op.f("ix_case_seizures_case_number"))

    op.drop_table("case_seizures")
    op.drop_table("case_parties")
