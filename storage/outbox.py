"""The outbox: messages waiting to leave, written in the same transaction as the message.

A row goes ``pending`` → ``sealed`` (its envelope is in the evidence archive, so a
restart republishes the very same bytes) → ``sent`` (the transport confirmed it).
The message is readable until ``sent`` so that an envelope sealed too long ago to pass
the receiver's clock window can be sealed afresh (``unseal``).

A message stored here as it travels (its row in ``messages``, which is never deleted)
is not copied into the outbox: the row's ``payload`` is empty and the stored one is
read when it is sealed. Only what travels in another form keeps its own payload — a
mail with attachments (stored without their bodies, which are in the blob store) and
a receipt (never stored as a message). The copy had been most of the sending node's
writes in the whole-CEN flow: a row of 1.5 KB written once and its page rewritten
when sealed and when sent, against ≈ 100 bytes now.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import BulkInsert, BulkUpdate, execute, placeholders
from storage.models import Envelope, Message, OutboxItem


class Queued(NamedTuple):
    """A message to send to a node: what the outbox keeps until it is sent (``payload``:
    None when the message is stored, byte for byte as it travels, in ``messages``)."""

    message_id: str
    type: str
    node: str
    payload: bytes | None


class Pending(NamedTuple):
    """A queued message waiting to be sealed (the columns the dispatcher reads)."""

    id: int
    message_id: str
    type: str
    node: str
    payload: bytes | None


_QUEUE = BulkInsert(OutboxItem.__table__, Queued._fields, shared=("state", "created_at"))
_SEALED = BulkUpdate(OutboxItem.__table__, (), key="id", shared=("state", "envelope_id"))
_SENT = BulkUpdate(
    OutboxItem.__table__, (), key=("envelope_id", "state"), shared=("state", "sent_at", "payload")
)


@functools.lru_cache(maxsize=32)
def _pending_sql(dialect: Dialect, skipped: int, only: int = 0) -> str:
    """The pending rows' query for a dialect, leaving out ``skipped`` nodes (the first
    parameters; the limit is the last). On PostgreSQL the rows are locked against other
    workers' dispatchers (``SKIP LOCKED``); SQLite has one writer at a time anyway."""
    outbox = dialect.identifier_preparer.format_table(OutboxItem.__table__)
    messages = dialect.identifier_preparer.format_table(Message.__table__)
    skipping = f" AND o.node NOT IN ({placeholders(dialect, skipped)})" if skipped else ""
    if only:
        skipping += f" AND o.node IN ({placeholders(dialect, only, skipped + 1)})"
    locking = " FOR UPDATE OF o SKIP LOCKED" if dialect.name == "postgresql" else ""
    # table names from the metadata, quoted by the dialect; every value is bound
    return (
        "SELECT o.id, o.message_id, o.type, o.node, coalesce(o.payload, m.payload) "  # noqa: S608
        f"FROM {outbox} AS o LEFT OUTER JOIN {messages} AS m ON m.id = o.message_id "
        f"WHERE o.state = 'pending'{skipping} ORDER BY o.id "
        f"LIMIT {placeholders(dialect, 1, skipped + only + 1)}{locking}"
    )


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, items: Sequence[Queued]) -> None:
        """Queue messages for nodes: one bulk ``INSERT`` however many."""
        await _QUEUE(self.session, items, state="pending", created_at=datetime.now(UTC))

    async def pending(
        self, limit: int, skip_nodes: Sequence[str] = (), only_nodes: Sequence[str] = ()
    ) -> list[Pending]:
        """The oldest rows waiting to be sealed, locked against other dispatchers (as
        plain rows, by a statement of fixed text: SQLAlchemy's building and running of
        the select had cost as much as the encryption of the envelope it fills)."""
        skip, only = tuple(skip_nodes), tuple(only_nodes)
        rows = await execute(
            self.session,
            lambda dialect: _pending_sql(dialect, len(skip), len(only)),
            (*skip, *only, limit),
        )
        return [Pending(*row) for row in rows]

    async def mark_sealed(self, item_ids: Sequence[int], envelope_id: str) -> None:
        await _SEALED(
            self.session, [(i,) for i in item_ids], state="sealed", envelope_id=envelope_id
        )

    async def sealed_envelopes(self, sealed_before: datetime | None = None) -> list[str]:
        """Envelopes sealed but not yet confirmed by the transport (to publish again);
        with ``sealed_before``, only those archived before that time."""
        query = (
            select(OutboxItem.envelope_id)
            .where(OutboxItem.state == "sealed")
            .group_by(OutboxItem.envelope_id)
            .order_by(func.min(OutboxItem.id))
        )
        if sealed_before is not None:
            query = query.join(Envelope, Envelope.id == OutboxItem.envelope_id).where(
                Envelope.created_at < sealed_before
            )
        return [eid for eid in (await self.session.scalars(query)).all() if eid]

    async def mark_sent(self, envelope_ids: Sequence[str]) -> None:
        """The transport confirmed these envelopes: their rows are sent (payloads dropped)."""
        await _SENT(
            self.session,
            [(eid, "sealed") for eid in envelope_ids],
            state="sent",
            sent_at=datetime.now(UTC),
            payload=None,
        )

    async def unseal(self, envelope_id: str) -> None:
        """Send an unconfirmed envelope's messages back to ``pending``, to be sealed again."""
        await self.session.execute(
            update(OutboxItem)
            .where(OutboxItem.envelope_id == envelope_id, OutboxItem.state == "sealed")
            .values(state="pending", envelope_id=None)
        )

    async def backlog(self) -> dict[str, int]:
        """Messages not yet confirmed sent, per destination node."""
        query = (
            select(OutboxItem.node, func.count())
            .where(OutboxItem.state != "sent")
            .group_by(OutboxItem.node)
        )
        return {node: int(n) for node, n in (await self.session.execute(query)).all()}
