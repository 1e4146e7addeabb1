"""The one seam between the hub and whatever carries envelopes between nodes.

A transport publishes sealed envelopes to a node's queue and feeds a node's queue
to a handler. Ack and reject are decided in one place, the transport's consumer
loop: the handler returning means *stored, acknowledge*; the handler raising means
*not stored*, and the envelope is delivered again up to ``max_attempts`` times, then
moved to the dead letters, where it stays visible until retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Delivery:
    """One envelope handed to a consumer."""

    envelope_id: str
    body: bytes
    attempt: int
    queued_at: datetime | None = None  # when the transport accepted it, if it knows


@dataclass(frozen=True)
class DeadLetter:
    """An envelope that failed every attempt, with the last error."""

    id: str
    node: str
    body: bytes
    error: str
    failed_at: datetime


Handler = Callable[[Delivery], Awaitable[None]]


class Transport(Protocol):
    """Carries sealed envelopes to nodes' queues."""

    name: str

    async def connect(self) -> None:
        """Open connections and declare the topology (idempotent)."""

    async def publish(self, node: str, envelope_id: str, body: bytes) -> None:
        """Return only once the envelope is durably queued for ``node``."""

    async def consume(self, node: str, handler: Handler) -> None:
        """Feed ``node``'s queue to ``handler`` until cancelled."""

    async def dead_letters(self, node: str) -> list[DeadLetter]:
        """Envelopes that exhausted their attempts."""

    async def retry_dead_letter(self, node: str, letter_id: str) -> None:
        """Put one dead letter back in the queue."""

    async def depth(self, node: str) -> int:
        """Envelopes waiting in ``node``'s queue."""

    async def close(self) -> None:
        """Stop and release connections."""
