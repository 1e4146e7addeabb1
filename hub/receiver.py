"""The receiving side: open envelopes, check each message, deliver exactly once, receipt.

For every envelope the transport hands over: decrypt it (a failure quarantines the
whole envelope), then for each signed message: verify the signature against the
trust store, parse it, check that its signer is its sender's node, that it was
created inside the clock window, that it is addressed to this node and that its id
is new. A message failing any check is quarantined with that reason; the others
are delivered. The envelope, the deliveries, the seen ids and the receipts going
back commit in one transaction, and only then does the transport acknowledge.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hub.errors import NotYet, Reason, Rejected
from hub.router import Router, stored_form
from hub.transports import Delivery
from keys import (
    EnvelopeError,
    KeysError,
    NodeKeyring,
    SignedItem,
    TrustStore,
    decrypt_envelope,
    verify_item,
)
from message_schemas import (
    EnvelopeHeader,
    KeysAnnounce,
    Message,
    Receipt,
    RecipientResult,
    SchemaError,
    dump_message,
    node_of,
    parse_message,
)
from storage import Database, Store

log = logging.getLogger(__name__)


def _rejected(exc: EnvelopeError) -> Rejected:
    """keys' reasons are the hub's reasons; 'not_for_us' is a misaddressed message."""
    reason = Reason.MISADDRESSED if exc.reason == "not_for_us" else Reason(str(exc.reason))
    return Rejected(reason, exc.detail)


class Receiver:
    def __init__(
        self,
        node: str,
        db: Database,
        keyring: NodeKeyring,
        trust: TrustStore,
        router: Router,
        *,
        clock_skew: timedelta,
        on_outbox: Callable[[], None],
        on_inbox: Callable[[], None],
    ) -> None:
        self.node = node
        self.db = db
        self.keyring = keyring
        self.trust = trust
        self.router = router
        self.clock_skew = clock_skew
        self.on_outbox = on_outbox
        self.on_inbox = on_inbox

    async def handle(self, delivery: Delivery) -> None:
        """Store an envelope's messages; raising means *not stored* (the transport retries).

        Raises NotYet for a message signed with a trusted partner's key not known yet.
        """
        self.keyring.refresh()
        raw = delivery.body
        try:
            header, items = self._open(raw)
        except Rejected as exc:
            await self._quarantine_envelope(exc, raw, delivery.envelope_id)
            return
        envelope_id = header.eid
        delivery_time = delivery.queued_at or datetime.now(UTC)
        queued = False
        async with self.db.transaction() as tx:
            message_ids = [entry.id for entry in header.msgs]
            if not await tx.envelopes.add(envelope_id, "in", header.sender, message_ids, raw):
                first = await tx.envelopes.get(envelope_id)
                detail = (
                    f"envelope {envelope_id} was already received at {first.created_at:%Y-%m-%d %H:%M:%S} "
                    "UTC (redelivered by the transport, or replayed); nothing delivered twice"
                )
                await tx.quarantine.add(Reason.REPLAY, detail, raw, envelope_id=envelope_id)
                log.warning("quarantined envelope %s: replay", envelope_id)
                return
            for position, jws in enumerate(items):
                try:
                    queued |= await self._accept(tx, header, jws, delivery_time)
                except Rejected as exc:
                    # the header lists the bundle's messages in order (for the listing only)
                    message_id = message_ids[position] if position < len(message_ids) else None
                    await tx.quarantine.add(
                        exc.reason,
                        exc.detail,
                        jws.encode(),
                        envelope_id=envelope_id,
                        message_id=message_id,
                    )
                    log.warning(
                        "quarantined message %s from envelope %s: %s", message_id, envelope_id, exc
                    )
        if queued:  # something was delivered here, and its receipt waits to leave
            self.on_outbox()
            self.on_inbox()

    def _open(self, raw: bytes) -> tuple[EnvelopeHeader, list[str]]:
        """Decrypt an envelope and read its routing header; Rejected says why not."""
        try:
            protected, items = decrypt_envelope(raw, self.keyring)
        except EnvelopeError as exc:
            raise _rejected(exc) from exc
        try:
            header = EnvelopeHeader.parse(protected)
        except SchemaError as exc:
            raise Rejected(Reason.MALFORMED, f"envelope header: {exc}") from exc
        if self.node not in header.to:
            raise Rejected(Reason.MISADDRESSED, f"envelope is for {', '.join(header.to)}")
        return header, items

    async def _quarantine_envelope(self, exc: Rejected, raw: bytes, envelope_id: str) -> None:
        async with self.db.transaction() as tx:
            await tx.quarantine.add(exc.reason, exc.detail, raw, envelope_id=envelope_id)
        log.warning("quarantined envelope %s: %s", envelope_id, exc)

    async def _accept(
        self, tx: Store, header: EnvelopeHeader, jws: str, delivery_time: datetime
    ) -> bool:
        """Check and deliver one signed message; True when a receipt was queued."""
        envelope_id = header.eid
        try:
            item = verify_item(jws, self.trust)
        except EnvelopeError as exc:
            if exc.reason == "unknown_key" and header.sender in self.trust.nodes():
                raise NotYet(
                    f"node {header.sender!r} signed with a key this node does not know yet "
                    f"({exc.detail}); waiting for its keys.announce, or import its new keys "
                    "with `icomm keys import` and retry the dead letter"
                ) from exc
            raise _rejected(exc) from exc
        try:
            message = parse_message(item.payload)
        except SchemaError as exc:
            raise Rejected(Reason.SCHEMA, str(exc)) from exc
        self._check(message, item, delivery_time)
        if not await tx.seen.first_time(message.id, envelope_id):
            seen = await tx.seen.get(message.id)
            when = f"{seen.received_at:%Y-%m-%d %H:%M:%S} UTC" if seen else "earlier"
            raise Rejected(Reason.REPLAY, f"message id {message.id} was already received at {when}")
        if isinstance(message, Receipt):
            await self.router.record_results(
                tx,
                message.receipt_for,
                message.results,
                receipt_id=message.id,
                digest=message.digest,
            )
            return False
        here = [a for a in message.to if node_of(a) == self.node]
        if isinstance(message, KeysAnnounce):
            self._announce(message, item.signer_node)
            results = [RecipientResult(address=a, status="delivered") for a in here]
        else:
            digest = hashlib.sha256(jws.encode()).hexdigest()
            await tx.mailbox.add_message(
                stored_form(message, "remote", digest), self.router.store_attachments(message)
            )
            results = await self.router.deliver(tx, message, here)
        await self._queue_receipt(tx, message, jws, results)
        return True

    def _check(self, message: Message, item: SignedItem, queued_at: datetime) -> None:
        """Signer, clock window and addressing.

        The window applies to the signature time (the signed ``iat``; a partner's
        message without one falls back to its ``created``), compared with the time the
        transport accepted the envelope, so a message that waited in a queue while this
        node was down is not refused, while a signature minted long ago and replayed
        now is. Nothing may be signed in the future beyond the window either.
        """
        if node_of(message.sender) != item.signer_node:
            raise Rejected(
                Reason.BAD_SIGNATURE,
                f"signed by node {item.signer_node!r} but claims to be from {message.sender}",
            )
        signed_at = item.signed_at or message.created
        now = datetime.now(UTC)
        if abs(queued_at - signed_at) > self.clock_skew or signed_at - now > self.clock_skew:
            raise Rejected(
                Reason.TIMESTAMP,
                f"signed at {signed_at.isoformat()}, outside ±{self.clock_skew} of its arrival "
                f"({queued_at.isoformat(timespec='seconds')}) by this node's clock",
            )
        if not any(node_of(address) == self.node for address in message.to):
            raise Rejected(
                Reason.MISADDRESSED, f"addressed to {', '.join(message.to)}, none at {self.node}"
            )

    def _announce(self, message: KeysAnnounce, signer_node: str) -> None:
        if message.node != signer_node:
            raise Rejected(
                Reason.BAD_SIGNATURE, f"node {signer_node!r} announced keys for {message.node!r}"
            )
        try:
            kids = self.trust.import_jwks(message.node, message.jwks)
        except KeysError as exc:
            raise Rejected(Reason.SCHEMA, f"announced keys refused: {exc}") from exc
        log.info("imported keys %s announced by %s", kids, message.node)

    async def _queue_receipt(
        self, tx: Store, message: Message, jws: str, results: list[RecipientResult]
    ) -> None:
        """The signed receipt back to the sender: this node's outcome per address."""
        receipt = Receipt(
            sender=f"postmaster@{self.node}",
            to=[message.sender],
            receipt_for=message.id,
            digest=hashlib.sha256(jws.encode()).hexdigest(),
            results=results,
            received_at=datetime.now(UTC),
        )
        payload = dump_message(receipt)
        await tx.outbox.add(receipt.id, receipt.type, node_of(message.sender), payload)
