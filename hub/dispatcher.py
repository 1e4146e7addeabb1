"""The dispatcher: seals outbox rows into envelopes and publishes them.

Rows bound for the same node are sealed together, up to ``bundle_size`` messages in
one envelope (one encryption, each message signed on its own). The envelope is
archived and its rows marked ``sealed`` in one transaction *before* publishing, so
after a crash the very same bytes are published again and the receiver recognises
them; rows are marked ``sent`` once the transport confirms. An envelope found
unconfirmed after longer than ``reseal_after`` (half the receivers' clock window)
would be refused for its old signing time: its messages are sealed afresh instead
(should the old one have gone out after all, the receiver quarantines the second
copy as a replay; the mailbox still holds each message once).

Mail submitted while this process runs the dispatcher is sealed in the very transaction
that queues it (``seal_queued``, called by the router; what waits for the same nodes goes
along) and published as that commits (``publish_sealed``): no transaction of the
dispatcher's, no wake-up. Its turns seal the rest — receipts, mail queued by a process
that does not dispatch, what a failure left — and publish again what failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from hub.errors import TransportError
from hub.loop import PokedLoop
from hub.transports import Transport
from keys import KeysError, NodeKeyring, TrustStore, seal
from message_schemas import EnvelopeHeader, HeaderEntry, new_id
from storage import Database, Pending, StorageError, Store

log = logging.getLogger(__name__)

#: an envelope sealed: the node it goes to, its id, its bytes
Sealed = tuple[str, str, bytes]

IDLE_SECONDS = 1.0
UNREACHABLE_BACKOFF = 30.0
#: a bundle closes at this many payload bytes (a larger message travels alone), well
#: under the envelope's ciphertext cap in keys/
BUNDLE_BYTES = 8 * 2**20
#: a bundle closes when its header's list of messages reaches this many bytes of JSON: the
#: protected header, base64url-encoded, must stay under what receivers accept (64 KiB in
#: keys/; ``bundle_size`` allows up to 1,000 messages, whose list alone would exceed it)
BUNDLE_HEADER_BYTES = 40 * 1024
#: envelopes sealed before a restart and published again, read from the archive at a time
REPUBLISH_BATCH = 16
#: how often to look for envelopes sealed but not confirmed (another worker's that died;
#: this worker's own are looked for at once after a failure)
RECHECK_SECONDS = 1.0
#: an envelope sealed less than this long ago may still await its confirm in another
#: worker of the node (on PostgreSQL every worker dispatches): the periodic look leaves it
#: alone — published twice, it would reach the partner's quarantine as a replay. Twice
#: the transport's confirm timeout; the look at start-up and after a failure take all.
IN_FLIGHT_SECONDS = 60.0
#: outbox rows sealed per transaction (a whole bundle at least): signing them holds the
#: event loop, so a batch is kept to a few tens of milliseconds
ROWS_PER_SEAL = 512
#: batches of envelopes published and awaiting their confirms while the next is sealed
PIPELINE = 4
#: how long a receipt may wait to leave: the receipts of the envelopes received meanwhile
#: travel together (and with any mail leaving sooner) instead of an envelope each — at
#: 1,000 mails a second a receiving node had sealed, published and marked sent ≈ 80
#: one-receipt envelopes a second, and the sender opened and filed as many
RECEIPT_SECONDS = 0.2


def _listed_bytes(row: Pending) -> int:
    """What a message adds to its envelope header's list: ``{"id":…,"type":…},``."""
    return len(row.message_id) + len(row.type) + len('{"id":"","type":""},')


class Dispatcher(PokedLoop):
    def __init__(
        self,
        node: str,
        db: Database,
        keyring: NodeKeyring,
        trust: TrustStore,
        transport: Transport,
        bundle_size: int = 512,
        reseal_after: timedelta = timedelta(minutes=5),
    ) -> None:
        super().__init__()
        self.node = node
        self.db = db
        self.keyring = keyring
        self.trust = trust
        self.transport = transport
        self.bundle_size = bundle_size
        self.reseal_after = reseal_after
        self._unsealable: dict[str, float] = {}  # node → time to try again
        self._recheck_at = 0.0  # when to look for envelopes sealed and not confirmed
        self._look_at_all = True  # the next look takes even the newest (start-up, failure)
        self.running = False  # this process runs the dispatcher's loop (Node.run)
        self._out_of_turn: set[asyncio.Task[int]] = set()  # publish_sealed's publishes
        self._in_flight: set[str] = set()  # envelopes being published (not published again)

    async def turn(self) -> float:
        """One round of dispatching (poked when something is written to the outbox)."""
        try:
            await self.flush()
        except (TransportError, StorageError) as exc:  # the broker or database is away
            log.warning("dispatch paused, will retry: %s", exc)
            self._after_failure()
        except Exception:  # keep dispatching; the rows stay and are retried
            log.exception("dispatch failed; retrying")
            self._after_failure()
        return IDLE_SECONDS

    def receipts_queued(self) -> None:
        """Receipts were written to the outbox: they leave within :data:`RECEIPT_SECONDS`."""
        self.poke_later(RECEIPT_SECONDS)

    def _after_failure(self) -> None:
        """What was sealed and not confirmed goes first, however new."""
        self._recheck_at = 0.0
        self._look_at_all = True

    async def flush(self) -> int:
        """Publish what was sealed but not confirmed, then seal and publish what waits.

        Sealing goes on while earlier batches await their confirms (up to ``PIPELINE``
        batches in flight): the broker's confirm round trip overlaps the next signing, and
        rows queued while confirms are awaited are sealed at once, not after the slowest
        confirm (at 1,000 mails a second the broker's p99 confirm took ≈ 12 ms, and every
        mail submitted meanwhile waited for it).
        The first failure stops the sealing; what is in flight is settled, then it raises.
        """
        self.keyring.refresh()  # `icomm keys rotate` in another process: sign with the new key
        published = 0
        if time.monotonic() >= self._recheck_at:
            published += await self._republish()
            self._recheck_at = time.monotonic() + RECHECK_SECONDS
        publishing: set[asyncio.Task[int]] = set()
        try:
            more = True
            while more or publishing:
                if more:
                    sealed, more = await self._seal_batch()
                    if sealed:
                        publishing.add(asyncio.create_task(self._publish(sealed)))
                if len(publishing) >= PIPELINE:
                    done, publishing = await asyncio.wait(
                        publishing, return_when=asyncio.FIRST_COMPLETED
                    )
                elif publishing and not more:  # rows queued meanwhile need no confirm first
                    done, more = await self.finished_or_poked(publishing)
                    publishing -= done
                else:
                    done = set()
                for task in done:
                    published += task.result()  # a failure: see below
        except BaseException:
            for task in publishing:
                task.cancel()
            await asyncio.gather(*publishing, return_exceptions=True)
            raise
        return published

    async def _republish(self) -> int:
        """Publish again what was sealed but never confirmed (a crash, a failed publish, a
        worker that died), or seal it afresh when it is too old."""
        everything, self._look_at_all = self._look_at_all, False
        settled = None if everything else datetime.now(UTC) - timedelta(seconds=IN_FLIGHT_SECONDS)
        published = 0
        async with self.db.transaction() as tx:
            unconfirmed = [
                envelope_id
                for envelope_id in await tx.outbox.sealed_envelopes(sealed_before=settled)
                if envelope_id not in self._in_flight  # its confirm is still to come
            ]
        for start in range(0, len(unconfirmed), REPUBLISH_BATCH):
            again = []
            async with self.db.transaction() as tx:
                for envelope_id in unconfirmed[start : start + REPUBLISH_BATCH]:
                    envelope = await tx.envelopes.get(envelope_id)
                    if datetime.now(UTC) - envelope.created_at > self.reseal_after:
                        await tx.outbox.unseal(envelope_id)
                        log.info("envelope %s is too old to publish: sealing afresh", envelope_id)
                    else:
                        again.append((envelope.peer, envelope_id, envelope.raw))
            published += await self._publish(again)
        return published

    async def _seal_batch(self) -> tuple[list[Sealed], bool]:
        """Seal what waits, up to a limit; the envelopes, and whether more may wait."""
        async with self.db.transaction() as tx:
            return await self._seal_pending(tx)

    async def seal_queued(self, tx: Store, nodes: Collection[str]) -> tuple[list[Sealed], bool]:
        """Inside the transaction that has just queued rows for ``nodes``: seal what waits
        for them (any receipts or key announcements waiting for the same nodes go along),
        to be published once it commits (:meth:`publish_sealed`). The envelopes, and whether
        that was all (if not, the dispatcher is to be poked for the rest).

        A submitted mail then needs no transaction of the dispatcher's, nor a wake-up of it:
        at 1,000 mails a second the sending node's CPU a mail fell by a fifth. Only while
        this process runs the dispatcher (``Node.run``); otherwise the rows wait for it.
        """
        if not self.running:
            return [], False
        self.keyring.refresh()
        sealed, more = await self._seal_pending(tx, only=nodes)
        backing_off = time.monotonic() < max(
            (self._unsealable.get(n, 0.0) for n in nodes), default=0.0
        )
        return sealed, not more and not backing_off

    def publish_sealed(self, sealed: list[Sealed]) -> None:
        """Publish envelopes sealed by :meth:`seal_queued` (now committed) beside the
        dispatcher's turns; a failure is left to the dispatcher (published again)."""
        task = asyncio.create_task(self._publish(sealed))
        self._out_of_turn.add(task)
        task.add_done_callback(self._published_out_of_turn)

    def _published_out_of_turn(self, task: asyncio.Task[int]) -> None:
        self._out_of_turn.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("dispatch paused, will retry: %s", exc)
            self._after_failure()
            self.poke()

    async def settle(self) -> None:
        """Wait for the publishes started by :meth:`publish_sealed` (a node stopping)."""
        await asyncio.gather(*self._out_of_turn, return_exceptions=True)

    async def run(self) -> None:
        self.running = True
        try:
            await super().run()
        finally:
            self.running = False

    async def _seal_pending(
        self, tx: Store, only: Collection[str] = ()
    ) -> tuple[list[Sealed], bool]:
        """Seal a batch of waiting rows (of ``only`` these nodes, if given) in ``tx``; the
        envelopes, and whether more may wait (the batch was full)."""
        limit = max(self.bundle_size, ROWS_PER_SEAL)
        now = time.monotonic()
        skip = [node for node, until in self._unsealable.items() if until > now]
        sealed = []
        rows = await tx.outbox.pending(limit, skip_nodes=skip, only_nodes=tuple(only))
        by_node: dict[str, list[Pending]] = defaultdict(list)
        for row in rows:
            by_node[row.node].append(row)
        for node, node_rows in by_node.items():
            for bundle, signing_kid in self._bundles(node_rows):
                try:
                    sealed.append(await self._seal(tx, node, bundle, signing_kid))
                except KeysError as exc:
                    log.error("cannot seal for node %s, will retry: %s", node, exc)
                    self._unsealable[node] = now + UNREACHABLE_BACKOFF
                    break
        return sealed, len(rows) == limit

    def _bundles(self, rows: list[Pending]) -> list[tuple[list[Pending], str | None]]:
        """Announcements of new keys first, signed with a key the partner already trusts."""
        announcements = [r for r in rows if r.type == "keys.announce"]
        others = [r for r in rows if r.type != "keys.announce"]
        bundles: list[tuple[list[Pending], str | None]] = []
        if announcements:
            bundles.append((announcements, self.keyring.announcing_kid))
        bundle: list[Pending] = []
        size = listed = 0
        for row in others:
            entry = _listed_bytes(row)
            if bundle and (
                len(bundle) == self.bundle_size
                or size + len(row.payload or b"") > BUNDLE_BYTES
                or listed + entry > BUNDLE_HEADER_BYTES
            ):
                bundles.append((bundle, None))
                bundle, size, listed = [], 0, 0
            bundle.append(row)
            size += len(row.payload or b"")
            listed += entry
        if bundle:
            bundles.append((bundle, None))
        return bundles

    async def _seal(
        self, tx: Store, node: str, bundle: list[Pending], signing_kid: str | None
    ) -> Sealed:
        """Seal one bundle, archive it and mark its rows sealed (same transaction)."""
        envelope_id = new_id()
        header = EnvelopeHeader(
            eid=envelope_id,
            sender=self.node,
            to=[node],
            created=datetime.now(UTC),
            skid=signing_kid or self.keyring.signing_kid,
            msgs=[HeaderEntry(id=r.message_id, type=r.type) for r in bundle],
        )
        raw = seal(
            [r.payload or b"" for r in bundle],
            keyring=self.keyring,
            trust=self.trust,
            recipients=[node],
            header=header.as_header(),
            signing_kid=signing_kid,
        )
        await tx.envelopes.add(envelope_id, "out", node, [r.message_id for r in bundle], raw)
        await tx.outbox.mark_sealed([r.id for r in bundle], envelope_id)
        return node, envelope_id, raw

    async def _publish(self, envelopes: list[Sealed]) -> int:
        """Publish envelopes together (their confirms awaited at once, not one by one) and
        mark the confirmed ones sent; the first failure is raised after that."""
        if not envelopes:
            return 0
        ids = {eid for _, eid, _ in envelopes}
        self._in_flight |= ids  # until marked sent: the look for unconfirmed ones skips them
        try:
            outcomes = await asyncio.gather(
                *(self.transport.publish(node, eid, raw) for node, eid, raw in envelopes),
                return_exceptions=True,
            )
            confirmed = [
                eid for (_, eid, _), o in zip(envelopes, outcomes, strict=True) if o is None
            ]
            if confirmed:
                async with self.db.transaction() as tx:
                    await tx.outbox.mark_sent(confirmed)
        finally:
            self._in_flight -= ids
        for (node, eid, _), outcome in zip(envelopes, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                raise outcome
            log.info("envelope %s published to %s", eid, node)
        return len(confirmed)
