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

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import BulkInsert, BulkUpdate
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


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, items: Sequence[Queued]) -> None:
        """Queue messages for nodes: one bulk ``INSERT`` however many."""
        await _QUEUE(self.session, items, state="pending", created_at=datetime.now(UTC))

    async def pending(self, limit: int, skip_nodes: Sequence[str] = ()) -> list[Pending]:
        """The oldest rows waiting to be sealed, locked against other dispatchers (as
        plain rows: building ORM objects cost more than reading them)."""
        outbox = OutboxItem.__table__
        query = (
            select(
                outbox.c.id,
                outbox.c.message_id,
                outbox.c.type,
                outbox.c.node,
                func.coalesce(outbox.c.payload, Message.__table__.c.payload),
            )
            .outerjoin(Message.__table__, Message.__table__.c.id == outbox.c.message_id)
            .where(outbox.c.state == "pending", outbox.c.node.not_in(list(skip_nodes)))
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(of=outbox, skip_locked=True)
        )
        return [Pending(*row) for row in await self.session.execute(query)]

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
