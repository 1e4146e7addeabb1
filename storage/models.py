"""The node's tables (SQLAlchemy 2 declarative models).

Every schema change comes with an Alembic migration in ``storage/migrations``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _NulFree:
    """Text that PostgreSQL can hold: NUL, which it refuses in text, becomes U+FFFD.

    For free text of outside origin (a subject, a refusal's detail, a partner's reason);
    SQLite would keep the NUL, and the same rows are written on both backends. The
    message itself is kept byte for byte in its payload.
    """

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return value.replace("\x00", "\ufffd") if value is not None else None


class NulFreeString(_NulFree, TypeDecorator[str]):
    impl = String
    cache_ok = True  # SQLAlchemy reads it on the class itself, not from the mixin


class NulFreeText(_NulFree, TypeDecorator[str]):
    impl = Text
    cache_ok = True


class Base(DeclarativeBase):
    pass


class User(Base):
    """A person's or a service's mailbox at this node (``username@node``)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(NulFreeString(200), default="")
    role: Mapped[str] = mapped_column(String(16))  # officer | analyst | admin | service
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # where "a new message is waiting" notices go (never the message itself); none: no notice
    notify_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(NulFreeString(200), default="")


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Message(Base):
    """One message this node sent or received, as parsed (attachment bodies live in blobs)."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str | None] = mapped_column(NulFreeString(998), nullable=True)
    thread_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    origin: Mapped[str] = mapped_column(String(8))  # local | remote
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class MailboxEntry(Base):
    """A message in one owner's folder; the unique key makes delivery exactly-once."""

    __tablename__ = "mailbox_entries"
    __table_args__ = (
        UniqueConstraint("message_id", "owner", "folder", name="uq_mailbox_once"),
        Index("ix_mailbox_owner_folder_arrival", "owner", "folder", "id"),
        # the unread entries only, oldest first: what a subscription and a count ask for
        Index(
            "ix_mailbox_unread",
            "owner",
            "folder",
            "id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    owner: Mapped[str] = mapped_column(String(64))
    folder: Mapped[str] = mapped_column(String(16))  # inbox | sent
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Attachment(Base):
    __tablename__ = "attachments"

    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(NulFreeString(255))
    media_type: Mapped[str] = mapped_column(String(255))  # RFC 6838: 127 + "/" + 127
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)


class OutboxItem(Base):
    """A message waiting to leave for one node: pending → sealed → sent."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8), default="pending")
    payload: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    envelope_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Envelope(Base):
    """The evidence archive: every sealed envelope sent or received, byte for byte."""

    __tablename__ = "envelopes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # out | in
    peer: Mapped[str] = mapped_column(String(64))
    message_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class SeenMessage(Base):
    """Message ids already received: the deduplication that makes delivery exactly-once."""

    __tablename__ = "seen_messages"

    message_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """Per recipient address of a message this node sent: pending, delivered or failed."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("message_id", "address", name="uq_delivery"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(NulFreeText, nullable=True)
    receipt_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuarantineItem(Base):
    """A message or envelope refused on arrival, kept raw with the reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(NulFreeText)
    envelope_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class NotificationMark(Base):
    """How far a user's inbox has been announced by email (the last mailbox entry told of)."""

    __tablename__ = "notification_marks"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_entry_id: Mapped[int] = mapped_column(Integer)
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
