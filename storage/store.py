"""A unit of work: the repositories of one transaction, sharing one session."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class UnitOfWork(Protocol):
    """A set of repositories sharing one session: :class:`Store`, the case stores' own."""

    def __init__(self, session: AsyncSession) -> None: ...


#: a set of repositories of the caller's choosing (``Store.joined``, ``Database.unit``)
U = TypeVar("U", bound=UnitOfWork)

#: rows per multi-row statement: well under SQLite's and asyncpg's 32,767 bound parameters
ROWS_PER_STATEMENT = 1000


def in_chunks(items: Sequence[T], size: int = ROWS_PER_STATEMENT) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``: the rows of one statement, the ids of one IN."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


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

    def joined(self, repositories: type[U]) -> U:
        """Another set of repositories (the case stores' own) in this same transaction:
        what an adapter writes through them commits or rolls back with the hub's rows."""
        return repositories(self.session)
