"""Refused messages, kept raw with the reason they were refused."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import QuarantineItem

ID_LENGTH = 64  # the envelope_id and message_id columns


class QuarantineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        reason: str,
        detail: str,
        raw: bytes,
        *,
        envelope_id: str | None = None,
        message_id: str | None = None,
    ) -> QuarantineItem:
        # ids as claimed by the sender or its transport, cut to the column (the raw bytes
        # keep them whole): an overlong one must not stop the refusal from being recorded
        item = QuarantineItem(
            reason=reason,
            detail=detail,
            raw=raw,
            envelope_id=envelope_id[:ID_LENGTH] if envelope_id is not None else None,
            message_id=message_id[:ID_LENGTH] if message_id is not None else None,
        )
        self.session.add(item)
        await self.session.flush()
        return item

    async def list(self, limit: int = 100) -> Sequence[QuarantineItem]:
        query = select(QuarantineItem).order_by(QuarantineItem.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(QuarantineItem.id))) or 0)
