"""What became of each recipient of a message this node sent (from receipts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def expect(self, message_id: str, addresses: Sequence[str]) -> None:
        """One pending row per recipient address."""
        for address in addresses:
            self.session.add(Delivery(message_id=message_id, address=address))
        await self.session.flush()

    async def record(
        self,
        message_id: str,
        address: str,
        status: str,
        *,
        reason: str | None = None,
        receipt_id: str | None = None,
        digest: str | None = None,
    ) -> bool:
        """Set a recipient's outcome; False when it was already final (a repeated receipt)."""
        row = await self.session.scalar(
            select(Delivery).where(Delivery.message_id == message_id, Delivery.address == address)
        )
        if row is None:
            row = Delivery(message_id=message_id, address=address)
            self.session.add(row)
        elif row.status != "pending":
            return False
        row.status, row.reason, row.receipt_id, row.digest = status, reason, receipt_id, digest
        row.updated_at = datetime.now(UTC)
        await self.session.flush()
        return True

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
