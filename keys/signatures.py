"""Checking a bundle's signatures together, in worker processes when there are many.

An Ed25519 verification costs about 100 µs of CPU on a small server, and a receiving node
checks one per message: at a few thousand messages a second that alone fills a core, and
on the node's event loop it holds up everything else (filing, receipts). So a
:class:`SignatureChecker` prepares each item in the node's own process (form, header,
trusted key: cheap, and the trust store lives there) and sends the Ed25519 checks of a
large batch, as plain bytes, to a pool of worker processes, while the event loop goes on
with other envelopes. A small batch (a few messages) is checked on the spot: handing it
to another process would cost more than it saves. The workers hold no key but public
ones, and only for the call.

The pool starts on the first large batch (a node that only receives a little never
starts one); until its workers answer (starting a Python process takes a moment) the
checks go on in the node's process. A pool whose worker died is replaced (that batch is
checked here); one that cannot start at all is given up, with an error in the log. It
stops with the node.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from keys.envelope import SignedItem, Signers, UnverifiedItem, prepare_item, signatures_valid
from keys.errors import EnvelopeError
from keys.truststore import TrustStore

log = logging.getLogger(__name__)

#: batches smaller than this are checked in the node's own process
POOLED_FROM = 32
#: worker processes at most, whatever the machine
MAX_WORKERS = 4


def default_workers() -> int:
    """One worker per CPU but two (one for the node's own process, one for what runs
    beside it: the database, the broker), at most :data:`MAX_WORKERS`. None on two CPUs:
    there the workers only compete for the same cores, and handing the checks over costs
    more than it frees (the bench measured 5 % fewer mails a second with one worker)."""
    return max(0, min(MAX_WORKERS, (os.cpu_count() or 1) - 2))


class SignatureChecker:
    """Verifies the signed items of envelopes; ``workers=0`` checks everything in-process."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self._warming: list[Future[list[bool]]] = []

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
        pool = self._ready() if self.workers and len(checks) >= POOLED_FROM else None
        if pool is None:
            return signatures_valid(checks)
        loop = asyncio.get_running_loop()
        share = -(-len(checks) // self.workers)  # one part per worker
        parts = [checks[start : start + share] for start in range(0, len(checks), share)]
        try:
            results = await asyncio.gather(
                *(loop.run_in_executor(pool, signatures_valid, part) for part in parts)
            )
        except BrokenProcessPool as exc:  # a worker died (killed, out of memory)
            log.warning("signature workers stopped (%s): checking here, starting new ones", exc)
            self._discard()
            return signatures_valid(checks)
        return [valid for result in results for valid in result]

    def _ready(self) -> ProcessPoolExecutor | None:
        """The pool once its workers answer; None while they start (started if need be)."""
        if self._pool is None:
            # spawned, not forked: the node's process has threads (database, files)
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
            pool = self._pool  # one empty job per worker: each starts a process
            self._warming = [pool.submit(signatures_valid, []) for _ in range(self.workers)]
        if not all(started.done() for started in self._warming):
            return None
        failed = [exc for started in self._warming if (exc := started.exception())]
        if failed:  # no process could start here: stop trying
            log.error("signature workers cannot start (%s): checking in this process", failed[0])
            self._discard()
            self.workers = 0
            return None
        self._warming = []
        return self._pool

    def _discard(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._warming = []

    def close(self) -> None:
        """Stop the worker processes (checks still running finish first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._warming = []
