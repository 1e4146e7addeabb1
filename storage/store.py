"""A unit of work: the repositories of one transaction, sharing one session."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_duplicates(session: AsyncSession, table: Any, **values: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


class Store:
    """What the hub may do to its tables inside one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        from storage.deliveries import DeliveryRepository
        from storage.evidence import EnvelopeRepository, SeenRepository
        from storage.mailbox import MailboxRepository
        from storage.notifications import NotificationRepository
        from storage.outbox import OutboxRepository
        from storage.quarantine import QuarantineRepository
        from storage.users import UserRepository

        self.session = session
        self.users = UserRepository(session)
        self.mailbox = MailboxRepository(session)
        self.outbox = OutboxRepository(session)
        self.envelopes = EnvelopeRepository(session)
        self.seen = SeenRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.quarantine = QuarantineRepository(session)
        self.notifications = NotificationRepository(session)
