"""The evidence archive of sealed envelopes, and the message ids already received."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import BulkInsert
from storage.errors import NotFound
from storage.models import Envelope, SeenMessage

_ENVELOPE = BulkInsert(
    Envelope.__table__,
    ("id", "direction", "peer", "message_ids", "raw"),
    shared=("created_at",),
    skip_duplicates=True,
    returning="id",
)


class EnvelopeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, envelope_id: str, direction: str, peer: str, message_ids: Sequence[str], raw: bytes
    ) -> bool:
        """Archive an envelope once; False when that envelope id is already archived."""
        row = (envelope_id, direction, peer, list(message_ids), raw)
        return bool(await _ENVELOPE(self.session, [row], created_at=datetime.now(UTC)))

    async def get(self, envelope_id: str) -> Envelope:
        envelope = await self.session.get(Envelope, envelope_id)
        if envelope is None:
            raise NotFound(f"no envelope {envelope_id} in the archive")
        return envelope

    async def stream(self, batch: int = 200) -> AsyncIterator[Envelope]:
        """Every archived envelope, oldest first, without loading them all at once."""
        result = await self.session.stream_scalars(
            select(Envelope)
            .order_by(Envelope.created_at, Envelope.id)
            .execution_options(yield_per=batch)
        )
        async for envelope in result:
            yield envelope


_SEEN = BulkInsert(
    SeenMessage.__table__,
    ("message_id",),
    shared=("envelope_id", "received_at"),
    skip_duplicates=True,
    returning="message_id",
)


class SeenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_times(self, message_ids: Sequence[str], envelope_id: str) -> set[str]:
        """Record received message ids; those seen for the first time (the others are
        replays). One statement executed for all the ids, safe between concurrent workers."""
        rows = [(m,) for m in dict.fromkeys(message_ids)]
        now = datetime.now(UTC)
        return set(await _SEEN(self.session, rows, envelope_id=envelope_id, received_at=now))

    async def get(self, message_id: str) -> SeenMessage | None:
        return await self.session.get(SeenMessage, message_id)
