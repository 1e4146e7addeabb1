"""The receiving side: open envelopes, check each message, deliver exactly once, receipt.

For every envelope the transport hands over: decrypt it (a failure quarantines the
whole envelope), then for each signed message: verify the signature against the
trust store, parse it, check that its signer is its sender's node, that it was
created inside the clock window, that it is addressed to this node and that its id
is new. A message failing any check is quarantined with that reason; the others
are delivered: filed into the mailboxes of their addresses here, or, for an address an
adapter took over (``Node.hand_over``), handed to its handler, whose writes join the
transaction. The envelope, the deliveries, the seen ids and the receipt going back (one
per envelope, acknowledging each message kept) commit in one transaction, and only then
does the transport acknowledge.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from hub.errors import NotYet, Reason, Rejected
from hub.router import Router, stored_form
from hub.subscriptions import ArrivalHandler
from hub.transports import Delivery
from keys import (
    EnvelopeError,
    KeysError,
    NodeKeyring,
    SignatureChecker,
    SignedItem,
    TrustStore,
    decrypt_envelope,
)
from message_schemas import (
    Acknowledgement,
    EnvelopeHeader,
    KeysAnnounce,
    Message,
    Receipt,
    RecipientResult,
    SchemaError,
    dump_message,
    node_of,
    parse_address,
    parse_message,
)
from storage import Database, Outcome, Queued, Store

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
        signatures: SignatureChecker,
        clock_skew: timedelta,
        on_outbox: Callable[[], None],
        on_inbox: Callable[[Sequence[tuple[Message, int]]], None],
    ) -> None:
        self.node = node
        self.db = db
        self.keyring = keyring
        self.trust = trust
        self.router = router
        self.signatures = signatures
        self.clock_skew = clock_skew
        self.on_outbox = on_outbox
        self.on_inbox = on_inbox
        #: local part -> the handler that takes what arrives for it (``Node.hand_over``)
        self.hand_overs: dict[str, ArrivalHandler] = {}

    async def handle(self, delivery: Delivery) -> None:
        """Store an envelope's messages; raising means *not stored* (the transport retries).

        Raises NotYet for a message signed with a trusted partner's key not known yet.
        The signatures are checked before the transaction (a large bundle's in worker
        processes, while other envelopes go on); the database work is done for the whole
        envelope at once.
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
        signed = await self.signatures.verify(items, self.trust)
        checked = [self._checked(header, item, delivery_time) for item in signed]
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
            accepted = await self._first_seen(tx, header, items, signed, checked)
            receipted, handed_only = await self._store(tx, header, accepted)
        if receipted:  # something was delivered here, and its receipt waits to leave
            self.on_outbox()
            arrived = receipted - handed_only  # in a mailbox here
            self.on_inbox([(m, len(payload)) for m, _, payload in accepted if m.id in arrived])

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

    def _checked(
        self, header: EnvelopeHeader, item: SignedItem | EnvelopeError, delivery_time: datetime
    ) -> Message | Rejected | NotYet:
        """One signed message checked (signature, schema, signer, clock, address), or why
        not; CPU only, no database."""
        if isinstance(item, EnvelopeError):
            if item.reason == "unknown_key" and header.sender in self.trust.nodes():
                return NotYet(
                    f"node {header.sender!r} signed with a key this node does not know yet "
                    f"({item.detail}); waiting for its keys.announce, or import its new keys "
                    "with `icomm keys import` and retry the dead letter"
                )
            return _rejected(item)
        try:
            message = parse_message(item.payload)
            self._check(message, item, delivery_time)
        except SchemaError as exc:
            return Rejected(Reason.SCHEMA, str(exc))
        except Rejected as exc:
            return exc
        return message

    async def _first_seen(
        self,
        tx: Store,
        header: EnvelopeHeader,
        items: list[str],
        signed: list[SignedItem | EnvelopeError],
        checked: list[Message | Rejected | NotYet],
    ) -> list[tuple[Message, str, bytes]]:
        """Record the ids of the checked messages; quarantine the refused and the replayed
        ones. The messages to store, with their signed form and its payload."""
        for outcome in checked:
            if isinstance(outcome, NotYet):
                raise outcome  # not stored at all: the transport tries the envelope again
        fresh = await tx.seen.first_times(
            [m.id for m in checked if not isinstance(m, Rejected | NotYet)], header.eid
        )
        accepted = []
        for position, (jws, item, outcome) in enumerate(zip(items, signed, checked, strict=True)):
            if not isinstance(outcome, Rejected | NotYet):
                if outcome.id in fresh:
                    fresh.discard(outcome.id)  # twice in one envelope: the second is a replay
                    assert isinstance(item, SignedItem)  # it was checked: it verified
                    accepted.append((outcome, jws, item.payload))
                    continue
                seen = await tx.seen.get(outcome.id)
                when = f"{seen.received_at:%Y-%m-%d %H:%M:%S} UTC" if seen else "earlier"
                detail = f"message id {outcome.id} was already received at {when}"
                outcome = Rejected(Reason.REPLAY, detail)
            # the header lists the bundle's messages in order (for the listing only)
            message_id = header.msgs[position].id if position < len(header.msgs) else None
            await self._quarantine_message(tx, outcome, jws, header.eid, message_id)
        return accepted

    async def _quarantine_message(
        self, tx: Store, exc: Rejected, jws: str, envelope_id: str, message_id: str | None
    ) -> None:
        await tx.quarantine.add(
            exc.reason, exc.detail, jws.encode(), envelope_id=envelope_id, message_id=message_id
        )
        log.warning("quarantined message %s from envelope %s: %s", message_id, envelope_id, exc)

    async def _store(
        self, tx: Store, header: EnvelopeHeader, accepted: list[tuple[Message, str, bytes]]
    ) -> tuple[set[str], set[str]]:
        """Record receipts, import announced keys, store and deliver the rest, and queue
        one receipt per sending node for the messages delivered; the ids receipted, and
        those of the messages only handed over (in no mailbox here).

        A receipt speaks only for its own node's recipients: a result for an address at
        another node is ignored (and logged).
        """
        outcomes = []
        for receipt in (m for m, _, _ in accepted if isinstance(m, Receipt)):
            signer = node_of(receipt.sender)
            for ack in receipt.acknowledges:
                for res in ack.results:
                    if node_of(res.address) != signer:
                        log.warning(
                            "receipt %s from %s speaks for %s: ignored",
                            receipt.id,
                            signer,
                            res.address,
                        )
                        continue
                    outcomes.append(
                        Outcome(
                            ack.receipt_for,
                            res.address,
                            res.status,
                            res.reason,
                            receipt.id,
                            ack.digest,
                        )
                    )
        if outcomes:
            await self.router.record_results(tx, outcomes)
        delivered: list[tuple[Message, str, list[Outcome]]] = []  # with its digest
        mails: list[tuple[Message, str, bytes]] = []  # with its JWS and signed payload
        for message, jws, payload in accepted:
            if isinstance(message, KeysAnnounce):
                try:
                    self._announce(message, node_of(message.sender))
                except Rejected as exc:
                    await self._quarantine_message(tx, exc, jws, header.eid, message.id)
                    continue
                here = [a for a in message.to if node_of(a) == self.node]
                delivered.append(
                    (message, _digest(jws), [Outcome(message.id, a, "delivered") for a in here])
                )
            elif not isinstance(message, Receipt):
                mails.append((message, jws, payload))
        handed_only: set[str] = set()
        if mails:
            mail_outcomes, handed_only = await self._deliver(tx, header, mails)
            delivered += mail_outcomes
        by_node: dict[str, list[Acknowledgement]] = {}
        for message, digest, outcomes in delivered:
            by_node.setdefault(node_of(message.sender), []).append(
                Acknowledgement(
                    receipt_for=message.id,
                    digest=digest,
                    results=[
                        RecipientResult(address=o.address, status=o.status, reason=o.reason)  # type: ignore[arg-type]
                        for o in outcomes
                    ],
                )
            )
        await tx.outbox.add([self._receipt(node, acks) for node, acks in by_node.items()])
        return {message.id for message, _, _ in delivered}, handed_only

    async def _deliver(
        self,
        tx: Store,
        header: EnvelopeHeader,
        mails: list[tuple[Message, str, bytes]],
    ) -> tuple[list[tuple[Message, str, list[Outcome]]], set[str]]:
        """Each message for this node's addresses: stored and filed into their mailboxes,
        or, for an address handed over (``hand_overs``), given to its handler in this
        transaction — one the handler refuses is quarantined, and its result for that
        address says why. Per message its digest and each address's outcome; and the ids
        of the messages only handed over (stored nowhere by the hub)."""
        handed: dict[str, list[tuple[Message, str, str]]] = {}  # with its address and JWS
        filed: list[tuple[Message, str, bytes, list[str]]] = []  # with its digest
        handed_only: set[str] = set()
        here = [[a for a in m.to if node_of(a) == self.node] for m, _, _ in mails]
        digests = [_digest(jws) for _, jws, _ in mails]
        for (message, jws, payload), addresses, digest in zip(mails, here, digests, strict=True):
            kept = []
            for address in addresses:
                local = parse_address(address)[0]
                if local in self.hand_overs:
                    handed.setdefault(local, []).append((message, address, jws))
                else:
                    kept.append(address)
            if kept:
                filed.append((message, digest, payload, kept))
            else:
                handed_only.add(message.id)
        outcomes: dict[tuple[str, str], Outcome] = {}
        if filed:
            await tx.mailbox.add_messages(
                [
                    (
                        # stored as its sender signed it (the attachments taken out, if any)
                        stored_form(m, "remote", digest, payload),
                        self.router.store_attachments(m),
                    )
                    for m, digest, payload, _ in filed
                ]
            )
            for per_message in await self.router.deliver(
                tx, [(m, kept) for m, _, _, kept in filed]
            ):
                outcomes.update(((o.message_id, o.address), o) for o in per_message)
        for local, taken in handed.items():
            refused = await self.hand_overs[local]([m for m, _, _ in taken], tx)
            for message, address, jws in taken:
                if (why := refused.get(message.id)) is not None:
                    outcomes[message.id, address] = Outcome(message.id, address, "failed", why)
                    exc = Rejected(Reason.REFUSED, f"{address} refused it: {why}")
                    await self._quarantine_message(tx, exc, jws, header.eid, message.id)
        delivered = [
            (m, digest, [outcomes.get((m.id, a)) or Outcome(m.id, a, "delivered") for a in to])
            for (m, _, _), to, digest in zip(mails, here, digests, strict=True)
        ]
        return delivered, handed_only

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

    def _receipt(self, node: str, acknowledges: list[Acknowledgement]) -> Queued:
        """One receipt back to a node for what one envelope brought from it."""
        receipt = Receipt(
            sender=f"postmaster@{self.node}",
            to=[f"postmaster@{node}"],
            acknowledges=acknowledges,
            received_at=datetime.now(UTC),
        )
        return Queued(receipt.id, receipt.type, node, dump_message(receipt))


def _digest(jws: str) -> str:
    """SHA-256 of a signed message as it travelled: the receipt's proof of what arrived."""
    return hashlib.sha256(jws.encode()).hexdigest()
