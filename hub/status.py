"""A node's health at a glance: what waits, what failed, and which partners answer.

``collect`` reads the queue and the dead letters through the node's transport and
the rest from the database; ``NodeStatus.attention`` lists what an operator must
look at (dead letters, a partner not answering). A growing quarantine is shown but
is not in itself a fault: refusing bad messages is the receiver doing its job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.node import Node
from message_schemas import node_of

DEFAULT_STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class PartnerStatus:
    """What this node knows of one partner from the receipts it sent back."""

    node: str
    trusted: bool  # its keys are in the trust store
    last_receipt: datetime | None  # newest receipt recorded from it
    pending: int  # deliveries to it still waiting for a receipt
    oldest_pending: datetime | None  # when the oldest of those was sent
    not_answering: bool  # pending deliveries older than the threshold

    @property
    def never_answered(self) -> bool:
        return self.last_receipt is None


@dataclass(frozen=True)
class NodeStatus:
    node: str
    transport: str
    queue_depth: int
    dead_letters: int
    outbox_backlog: dict[str, int]  # per destination node: messages not yet confirmed sent
    quarantine: int
    partners: list[PartnerStatus]
    stale_after: timedelta
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def attention(self) -> list[str]:
        """What needs an operator, one sentence each; empty when all is well."""
        problems = []
        if self.dead_letters:
            problems.append(
                f"{self.dead_letters} dead letter(s): envelopes that failed every attempt "
                "(icomm dead-letters list)"
            )
        minutes = int(self.stale_after.total_seconds() // 60)
        for partner in self.partners:
            if partner.not_answering:
                problems.append(
                    f"partner {partner.node} is not answering: {partner.pending} message(s) "
                    f"without a receipt for more than {minutes} min"
                )
        return problems

    def to_json(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "node": self.node,
            "transport": self.transport,
            "checked_at": when(self.checked_at),
            "queue_depth": self.queue_depth,
            "dead_letters": self.dead_letters,
            "outbox_backlog": self.outbox_backlog,
            "quarantine": self.quarantine,
            "stale_after_minutes": self.stale_after.total_seconds() / 60,
            "partners": [
                {
                    "node": p.node,
                    "trusted": p.trusted,
                    "last_receipt": when(p.last_receipt),
                    "pending": p.pending,
                    "oldest_pending": when(p.oldest_pending),
                    "never_answered": p.never_answered,
                    "not_answering": p.not_answering,
                }
                for p in self.partners
            ],
            "attention": self.attention,
        }


async def collect(node: Node, stale_after: timedelta = DEFAULT_STALE_AFTER) -> NodeStatus:
    """Read the node's state now; nothing is changed."""
    now = datetime.now(UTC)
    async with node.db.transaction() as tx:
        backlog = await tx.outbox.backlog()
        quarantined = await tx.quarantine.count()
        per_address = await tx.deliveries.per_address()
    depth = await node.transport.depth(node.id)
    dead = len(await node.transport.dead_letters(node.id))

    trusted = {n for n in node.trust.nodes() if n != node.id}
    seen: dict[str, tuple[datetime | None, int, datetime | None]] = {}
    for address, last, pending, oldest in per_address:
        partner = node_of(address)
        if partner == node.id:
            continue  # delivered here, no receipt involved
        old_last, old_pending, old_oldest = seen.get(partner, (None, 0, None))
        seen[partner] = (
            _latest(old_last, last),
            old_pending + pending,
            _earliest(old_oldest, oldest),
        )
    partners = []
    for partner in sorted(trusted | set(seen)):
        last, pending, oldest = seen.get(partner, (None, 0, None))
        partners.append(
            PartnerStatus(
                node=partner,
                trusted=partner in trusted,
                last_receipt=last,
                pending=pending,
                oldest_pending=oldest,
                not_answering=oldest is not None and now - oldest >= stale_after,
            )
        )
    return NodeStatus(
        node=node.id,
        transport=node.transport.name,
        queue_depth=depth,
        dead_letters=dead,
        outbox_backlog=dict(sorted(backlog.items())),
        quarantine=quarantined,
        partners=partners,
        stale_after=stale_after,
        checked_at=now,
    )


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((x for x in (a, b) if x is not None), default=None)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((x for x in (a, b) if x is not None), default=None)
