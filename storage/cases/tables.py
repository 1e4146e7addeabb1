"""The case stores' tables: seizures, suspects, companies, their links and search keys,
the validation history, the CEN transmissions and (at the WCO's node) the CEN feed.

They share the node's database and its metadata (one Alembic history), but belong to the
adapters: the hub never reads them and the adapters never read the hub's.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, NulFreeString, UTCDateTime, utcnow


class _Owned:
    """Who holds a record: this node's own, or a partner's filed here (foreign)."""

    foreign: Mapped[bool] = mapped_column(Boolean, default=False)
    origin_node: Mapped[str] = mapped_column(String(16))
    handling_code: Mapped[str | None] = mapped_column(String(4), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class SeizureRow(_Owned, Base):
    """A seizure or offence case; ``record`` is the whole document, the columns its index."""

    __tablename__ = "case_seizures"
    __table_args__ = (UniqueConstraint("origin_node", "ref", name="uq_case_seizure_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str | None] = mapped_column(NulFreeString(300), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    occurred_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    office: Mapped[str | None] = mapped_column(String(32), nullable=True)
    place_kind: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    direction: Mapped[str | None] = mapped_column(String(16), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CommodityRow(Base):
    """A seizure's commodities, kept apart to filter cases by what was seized."""

    __tablename__ = "case_commodities"
    __table_args__ = (Index("ix_case_commodity_category", "category", "seizure_id"),)

    seizure_id: Mapped[int] = mapped_column(
        ForeignKey("case_seizures.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(20, 6), nullable=True)
    unit: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PartyRow(_Owned, Base):
    """A suspect or a company (``kind``), a record that many cases may link to."""

    __tablename__ = "case_parties"
    __table_args__ = (UniqueConstraint("kind", "origin_node", "ref", name="uq_case_party_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # suspect | company
    ref: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(NulFreeString(300), default="")


#: a search key compares byte by byte (PostgreSQL's "C", SQLite's default BINARY), so that
#: "keys that start with k" is the index range k <= key < k with its last letter moved up one,
#: whatever the database's locale
KEY = String(300).with_variant(String(300, collation="C"), "postgresql")


class PartyKeyRow(Base):
    """Search keys of a party: name words (``name``) and identifiers (``id``), folded.

    The party's kind is kept here too, so that a search is one range of the index
    ``ix_case_party_search``, which holds everything it needs (the party ids) in order.
    """

    __tablename__ = "case_party_keys"
    __table_args__ = (Index("ix_case_party_search", "party_kind", "kind", "key", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(
        ForeignKey("case_parties.id", ondelete="CASCADE"), index=True
    )
    party_kind: Mapped[str] = mapped_column(String(8))  # the party's: suspect | company
    kind: Mapped[str] = mapped_column(String(8))  # name | id
    key: Mapped[str] = mapped_column(KEY)


class LinkRow(Base):
    """A party's role in a case."""

    __tablename__ = "case_links"

    seizure_id: Mapped[int] = mapped_column(
        ForeignKey("case_seizures.id", ondelete="CASCADE"), primary_key=True
    )
    party_id: Mapped[int] = mapped_column(
        ForeignKey("case_parties.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str | None] = mapped_column(String(64), nullable=True)


class TransitionRow(Base):
    """One step of a case's validation: who moved it from what to what, when, and why."""

    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seizure_id: Mapped[int] = mapped_column(
        ForeignKey("case_seizures.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class TransmissionRow(Base):
    """A revision of a seizure sent to the global CEN (sending again is idempotent)."""

    __tablename__ = "cen_transmissions"
    __table_args__ = (UniqueConstraint("seizure_id", "revision", name="uq_cen_transmission"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seizure_id: Mapped[int] = mapped_column(
        ForeignKey("case_seizures.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShareRow(Base):
    """A case shared with a partner node, with the handling code it went with."""

    __tablename__ = "case_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seizure_id: Mapped[int] = mapped_column(
        ForeignKey("case_seizures.id", ondelete="CASCADE"), index=True
    )
    node: Mapped[str] = mapped_column(String(16))
    handling_code: Mapped[str] = mapped_column(String(4))
    message_id: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedRow(Base):
    """At the WCO's node: the newest revision of each seizure received for the global CEN."""

    __tablename__ = "cen_feed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seizure_ref: Mapped[str] = mapped_column(String(64), unique=True)
    origin_node: Mapped[str] = mapped_column(String(16), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str] = mapped_column(String(32))
    seizure_date: Mapped[date] = mapped_column(Date, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded: Mapped[int] = mapped_column(Integer, default=0)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
