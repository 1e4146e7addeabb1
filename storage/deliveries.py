"""What became of each recipient of a message this node sent (from receipts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import BulkInsert, BulkUpdate
from storage.models import Delivery
from storage.store import in_chunks


@dataclass(frozen=True)
class Outcome:
    """What became of one recipient of a message: ``delivered`` or ``failed`` (and why),
    with the receipt that said so when it came from another node."""

    message_id: str
    address: str
    status: str
    reason: str | None = None
    receipt_id: str | None = None
    digest: str | None = None


_OUTCOME = ("status", "reason", "receipt_id", "digest")
_EXPECT = BulkInsert(Delivery.__table__, ("message_id", "address"), shared=("status", "updated_at"))
_INSERT = BulkInsert(
    Delivery.__table__, ("message_id", "address", *_OUTCOME), shared=("updated_at",)
)
_UPDATE = BulkUpdate(Delivery.__table__, _OUTCOME, key="id", shared=("updated_at",))


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def expect(self, pending: Sequence[tuple[str, str]]) -> None:
        """One pending row per ``(message id, recipient address)``: one bulk ``INSERT``."""
        await _EXPECT(self.session, pending, status="pending", updated_at=datetime.now(UTC))

    async def record(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Set recipients' outcomes; those that changed a row (an outcome for a recipient
        already final — a repeated receipt — changes nothing). One lookup per thousand
        messages, then one bulk ``UPDATE`` (and ``INSERT`` for rows never expected)."""
        rows: dict[tuple[str, str], tuple[int, str]] = {}
        message_ids = list(dict.fromkeys(o.message_id for o in outcomes))
        for ids in in_chunks(message_ids):
            query = select(Delivery.id, Delivery.message_id, Delivery.address, Delivery.status)
            for row_id, message_id, address, status in await self.session.execute(
                query.where(Delivery.message_id.in_(ids))
            ):
                rows[message_id, address] = (row_id, status)
        changed: dict[tuple[str, str], Outcome] = {}
        for outcome in outcomes:
            key = (outcome.message_id, outcome.address)
            row = rows.get(key)
            if (row is None or row[1] == "pending") and key not in changed:
                changed[key] = outcome
        now = datetime.now(UTC)
        updates = [
            (o.status, o.reason, o.receipt_id, o.digest, rows[k][0])
            for k, o in changed.items()
            if k in rows
        ]
        inserts = [
            (o.message_id, o.address, o.status, o.reason, o.receipt_id, o.digest)
            for k, o in changed.items()
            if k not in rows
        ]
        await _UPDATE(self.session, updates, updated_at=now)
        await _INSERT(self.session, inserts, updated_at=now)
        return list(changed.values())

    async def summary(self, message_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """For each message, how many recipients are pending, delivered, failed."""
        query = (
            select(Delivery.message_id, Delivery.status, func.count())
            .where(Delivery.message_id.in_(list(message_ids)))
            .group_by(Delivery.message_id, Delivery.status)
        )
        counts: dict[str, dict[str, int]] = {}
        for message_id, status, n in (await self.session.execute(query)).all():
            counts.setdefault(message_id, {})[status] = int(n)
        return counts

    async def for_message(self, message_id: str) -> Sequence[Delivery]:
        query = select(Delivery).where(Delivery.message_id == message_id).order_by(Delivery.address)
        return (await self.session.scalars(query)).all()

    async def per_address(self) -> list[tuple[str, datetime | None, int, datetime | None]]:
        """Per recipient address: newest receipt, deliveries still pending, oldest pending.

        A pending row's ``updated_at`` is when it was written (when its message was sent).
        """
        pending = Delivery.status == "pending"
        query = select(
            Delivery.address,
            func.max(case((Delivery.receipt_id.is_not(None), Delivery.updated_at))),
            func.count(case((pending, 1))),
            func.min(case((pending, Delivery.updated_at))),
        ).group_by(Delivery.address)
        rows = (await self.session.execute(query)).all()
        return [(address, _utc(last), int(n), _utc(oldest)) for address, last, n, oldest in rows]


def _utc(value: datetime | str | None) -> datetime | None:
    """Aggregates bypass the column type: SQLite returns text, without an offset."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
