"""Checking a bundle's signatures together, in worker threads when there are many.

An Ed25519 verification costs ≈ 45 µs of CPU here (libsodium's), and a receiving node
checks one per message: at thousands of messages a second that is a good part of a core,
and on the node's event loop it holds up everything else — storing, receipting, handing
messages to an adapter (the WCO's node fell tens of thousands of seizures behind in
filing the whole CEN while it kept up with receiving it). libsodium lets go of Python's
lock while it checks, so a :class:`SignatureChecker` prepares each item on the loop (form,
header, trusted key: cheap, and the trust store lives there) and hands the checks of a
large batch, as plain bytes, to worker threads, which run beside the loop and each other.
A small batch (a few messages) is checked on the spot: the hand-over would cost more than
it saves, and add to a message's latency.

The threads start with the first large batch and stop with the node.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from keys.envelope import SignedItem, Signers, UnverifiedItem, prepare_item, signatures_valid
from keys.errors import EnvelopeError
from keys.truststore import TrustStore

#: batches smaller than this are checked on the event loop's thread
POOLED_FROM = 32
#: worker threads at most, whatever the machine
MAX_WORKERS = 4


def default_workers() -> int:
    """One worker per CPU but one (the event loop's), at least one, at most
    :data:`MAX_WORKERS`."""
    return max(1, min(MAX_WORKERS, (os.cpu_count() or 1) - 1))


class SignatureChecker:
    """Verifies the signed items of envelopes; ``workers=0`` checks everything on the loop."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._pool: ThreadPoolExecutor | None = None

    async def verify(
        self, items: Sequence[str], trust: TrustStore
    ) -> list[SignedItem | EnvelopeError]:
        """Each compact JWS verified against the trust store, or why it failed, in order."""
        prepared: list[UnverifiedItem | EnvelopeError] = []
        signers: Signers = {}  # a bundle's items share their header: each read once
        for jws in items:
            try:
                prepared.append(prepare_item(jws, trust, signers))
            except EnvelopeError as exc:
                prepared.append(exc)
        pending = [item for item in prepared if isinstance(item, UnverifiedItem)]
        outcomes = iter(await self._check([item.check for item in pending]))
        verified: list[SignedItem | EnvelopeError] = []
        for item in prepared:
            if isinstance(item, EnvelopeError):
                verified.append(item)
                continue
            try:
                verified.append(item.verified(next(outcomes)))
            except EnvelopeError as exc:
                verified.append(exc)
        return verified

    async def _check(self, checks: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
        if not self.workers or len(checks) < POOLED_FROM:
            return signatures_valid(checks)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="icomm-verify")
        loop = asyncio.get_running_loop()
        share = -(-len(checks) // self.workers)  # one part per worker
        parts = [checks[start : start + share] for start in range(0, len(checks), share)]
        results = await asyncio.gather(
            *(loop.run_in_executor(self._pool, signatures_valid, part) for part in parts)
        )
        return [valid for result in results for valid in result]

    def close(self) -> None:
        """Stop the worker threads (checks still running finish first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
