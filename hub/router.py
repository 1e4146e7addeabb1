"""Routing: where a message goes, and delivery into this node's mailboxes.

An address ``local@node`` at this node resolves to a user's mailbox, the mailboxes
of a group's members, or a service mailbox (an adapter such as ``cases@ge``);
at another node it becomes an outbox row for that node, written in the same
transaction as the message. The same delivery code serves a message submitted
here and one that arrived from another node, and the same result handling serves
local outcomes and receipts from far away: a failed recipient always brings a
non-delivery notice back to the sender.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from hub.errors import AddressError, HubError, PermissionDenied
from message_schemas import (
    Mail,
    Message,
    dump_message,
    node_of,
    parse_address,
)
from storage import AttachmentMeta, BlobStore, Database, NewMessage, Outcome, Queued, Store

if TYPE_CHECKING:
    from hub.dispatcher import Sealed

POSTMASTER = "postmaster"
GROUP_LIMIT = 500  # submissions written in one transaction at most


class Sealer(Protocol):
    """Seals rows in the transaction that queues them, and publishes once it commits (the
    dispatcher: ``hub.dispatcher.Dispatcher``)."""

    async def seal_queued(self, tx: Store, nodes: Collection[str]) -> tuple[list[Sealed], bool]: ...

    def publish_sealed(self, sealed: list[Sealed]) -> None: ...


@dataclass(frozen=True)
class Resolution:
    """The mailboxes one local address reaches, or why it reaches none."""

    owners: tuple[str, ...]
    failure: str | None = None


async def resolve_locals(tx: Store, locals_: Collection[str]) -> dict[str, Resolution]:
    """The mailboxes each local part reaches; the users among them looked up at once."""
    standing = await tx.users.standing(set(locals_) - {POSTMASTER})
    return {local: await _resolve(tx, local, standing.get(local)) for local in locals_}


async def _resolve(tx: Store, local: str, active: bool | None) -> Resolution:
    """One local part, given whether it is an active user (None: it is no user)."""
    if local == POSTMASTER:
        return Resolution((POSTMASTER,))
    if active is not None:
        if not active:
            return Resolution((), "the recipient's account is deactivated")
        return Resolution((local,))
    if await tx.users.find_group(local) is not None:
        members = tuple(m.username for m in await tx.users.members(local) if m.active)
        return Resolution(members) if members else Resolution((), "the group has no active member")
    return Resolution((), "no such recipient at this node")


def _slimmed(message: Message) -> bool:
    """Whether a message is stored in another form than it travels: a mail's attachment
    bodies go to the blob store, its row keeps their metadata."""
    return isinstance(message, Mail) and bool(message.attachments)


def stored_form(
    message: Message, origin: str, digest: str | None = None, payload: bytes | None = None
) -> NewMessage:
    """The database row of a message (attachment bodies go to the blob store).

    ``payload``: the message as already serialized (as submitted, or as signed by its
    sender), kept as it is when the message has no attachment to take out of it.
    """
    attachments = _slimmed(message)
    if payload is None or attachments:
        slim = message.model_copy(update={"attachments": []}) if attachments else message
        payload = dump_message(slim)
    # the fields read where they are kept: getattr on a type without them (a CEN seizure
    # has no subject) went through pydantic's __getattr__ and its AttributeError, ≈ 9 % of
    # the sending node's time in the whole-CEN flow
    fields = message.__dict__
    return NewMessage(
        id=message.id,
        type=message.type,
        sender=message.sender,
        recipients=list(message.to),
        subject=fields.get("subject"),
        thread_id=fields.get("thread_id"),
        created=message.created,
        origin=origin,
        digest=digest,
        payload=payload,
    )


def _settle(waiting: asyncio.Future[Message], outcome: Message | Exception) -> None:
    """Answer a waiting submitter, unless it stopped waiting."""
    if waiting.done():
        return
    if isinstance(outcome, Exception):
        waiting.set_exception(outcome)
    else:
        waiting.set_result(outcome)


class Router:
    """Submits messages written at this node and delivers messages into its mailboxes."""

    def __init__(
        self,
        node: str,
        db: Database,
        blobs: BlobStore,
        *,
        partners: Callable[[], Iterable[str]],
        max_message_bytes: int,
        sealer: Sealer,
        on_outbox: Callable[[], None],
        on_inbox: Callable[[], None],
        group_window: float = 0.0,
    ) -> None:
        self.node = node
        self.db = db
        self.blobs = blobs
        self.partners = partners
        self.max_message_bytes = max_message_bytes
        self.on_outbox = on_outbox
        self.on_inbox = on_inbox
        self.group_window = group_window
        self.sealer = sealer
        # each waiting submission, its caller's future and when it came (loop time)
        self._waiting: list[tuple[Message, asyncio.Future[Message], float]] = []
        self._writer: asyncio.Task[None] | None = None
        self._written = -math.inf  # when the last group's transaction ended (loop time)

    async def submit(self, message: Message) -> Message:
        """Accept a message from a local sender: store it, deliver locally, queue the rest.

        Submissions that arrive while a transaction is being written wait and are written
        together in the next one (a group commit): a busy node writes fewer, larger
        transactions instead of one per person sending. Each caller still gets its own
        answer: a refused submission is answered from the group's own transaction and
        left out of it, and a group that fails anyway is split until the failure is its
        own sender's alone.

        While the node is busy (its last group was written less than ``group_window``
        seconds before the next submission came), a group is given ``group_window`` from
        its first submission to fill; a submission to a quiet node is written at once. A
        transaction's own cost (≈ 0.44 ms at ``ge`` in the latency benchmark: the begin, the
        sender's standing, the commit) is then shared: at 1,000 mails a second a window of
        4 ms gathered ≈ 6 mails a transaction instead of 1.4, and the sending node's CPU a
        mail fell by a third.
        """
        loop = asyncio.get_running_loop()
        waiting = loop.create_future()
        self._waiting.append((message, waiting, loop.time()))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await waiting

    async def _write_waiting(self) -> None:
        """Write the waiting submissions, a group per transaction, until none wait."""
        loop = asyncio.get_running_loop()
        while self._waiting:
            first = self._waiting[0][2]
            if first - self._written < self.group_window:  # a busy node: let the group fill
                await asyncio.sleep(first + self.group_window - loop.time())
            group: list[tuple[Message, asyncio.Future[Message]]] = []
            try:
                # the group is taken once the turn to write has come: what was submitted
                # while other transactions wrote goes along
                async with self.db.turn_to_write():
                    group = [(m, f) for m, f, _ in self._waiting[:GROUP_LIMIT] if not f.cancelled()]
                    del self._waiting[:GROUP_LIMIT]
                    await self._write_group(group)
            except Exception as exc:  # the database is away: each of them hears so
                for _, waiting in group:
                    _settle(waiting, exc)
            finally:
                self._written = loop.time()

    async def _write_group(self, group: list[tuple[Message, asyncio.Future[Message]]]) -> None:
        """One transaction for the group, whose refused submissions are answered at once
        without touching the rest; if the transaction fails anyway, each half again (so a
        failure costs a few transactions more, and reaches only the sender it concerns)."""
        if not group:
            return

        def refused(position: int, exc: HubError) -> None:
            _settle(group[position][1], exc)

        try:
            accepted = await self._accept([message for message, _ in group], refused)
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0][1], exc)
                return
            half = len(group) // 2
            await self._write_group(group[:half])
            await self._write_group(group[half:])
            return
        for (_, waiting), message in zip(group, accepted, strict=True):
            if message is not None:
                _settle(waiting, message)

    async def submit_many(self, messages: Sequence[Message]) -> list[Message]:
        """Accept several messages in one transaction: all of them, or none (an import, a feed).

        A message whose id is already stored here was accepted before and is left alone,
        so an adapter that resubmits after a crash (with ids it derives) sends nothing twice.
        The database work is done for the batch at once, not message by message.
        """
        return [message for message in await self._accept(messages) if message is not None]

    async def _accept(
        self,
        messages: Sequence[Message],
        refused: Callable[[int, HubError], None] | None = None,
    ) -> list[Message | None]:
        """Check and store messages in one transaction; each one as accepted, in order.

        Without ``refused`` the first refusal raises and nothing is stored; with it each
        refused message (by its position) is told to it and left out, a None in its place.
        """

        def refuse(position: int, exc: HubError) -> None:
            if refused is None:
                raise exc
            refused(position, exc)

        partners = self._partner_nodes()
        prepared: dict[int, tuple[Message, bytes]] = {}
        for position, message in enumerate(messages):
            try:
                prepared[position] = self._prepare(message)
            except HubError as exc:
                refuse(position, exc)
        here: list[tuple[Message, list[str]]] = []
        queued: list[Queued] = []
        async with self.db.transaction() as tx:
            senders = await self._sender_refusals(
                tx, {parse_address(message.sender)[0] for message, _ in prepared.values()}
            )
            for position, (message, _) in list(prepared.items()):
                try:
                    if (refusal := senders[parse_address(message.sender)[0]]) is not None:
                        raise refusal
                    self._check_partners(message, partners)
                except HubError as exc:
                    del prepared[position]
                    refuse(position, exc)
            if not prepared:
                return [None] * len(messages)
            stored = await tx.mailbox.add_messages(
                [
                    (stored_form(m, "local", None, p), self.store_attachments(m))
                    for m, p in prepared.values()
                ]
            )
            # submitted before under its id: submitting is idempotent
            fresh = [(m, payload) for m, payload in prepared.values() if m.id in stored]
            await tx.mailbox.file_many(
                [(m.id, parse_address(m.sender)[0], "sent") for m, _ in fresh]
            )
            expected: list[tuple[str, str]] = []
            for message, payload in fresh:
                remote: dict[str, list[str]] = {}
                for address in message.to:
                    remote.setdefault(node_of(address), []).append(address)
                if local_addresses := remote.pop(self.node, []):
                    here.append((message, local_addresses))
                for node, addresses in remote.items():
                    expected.extend((message.id, address) for address in addresses)
                    # the outbox reads a message stored as it travels from its row
                    kept = payload if _slimmed(message) else None
                    queued.append(Queued(message.id, message.type, node, kept))
            await tx.deliveries.expect(expected)
            await tx.outbox.add(queued)
            sealed, complete = [], False
            if queued:  # sealed in this transaction, if the dispatcher runs in this process
                sealed, complete = await self.sealer.seal_queued(tx, {q.node for q in queued})
            if here:
                outcomes = await self.deliver(tx, here)
                await self.record_results(tx, [o for per_message in outcomes for o in per_message])
        if sealed:
            self.sealer.publish_sealed(sealed)
        if queued and not complete:
            self.on_outbox()
        if here:
            self.on_inbox()
        return [prepared[p][0] if p in prepared else None for p in range(len(messages))]

    def _partner_nodes(self) -> set[str]:
        return {self.node, *self.partners()}

    def _check_node(self, message: Message) -> None:
        if node_of(message.sender) != self.node:
            raise PermissionDenied(f"{message.sender} is not an address of this node ({self.node})")

    def _check_partners(self, message: Message, partners: set[str]) -> None:
        """Every recipient's node is this one or a partner whose keys we hold."""
        unknown = sorted({node_of(a) for a in message.to} - partners)
        if unknown:
            raise AddressError(
                f"no partner node {', '.join(map(repr, unknown))} in the trust store: "
                "import its public keys first (icomm keys import NODE FILE)"
            )

    def _prepare(self, message: Message) -> tuple[Message, bytes]:
        """Checks that need no database: the sender's node, the size; a thread id for mail."""
        self._check_node(message)
        if isinstance(message, Mail) and message.thread_id is None:
            message = message.model_copy(update={"thread_id": message.id})
        payload = dump_message(message)
        if len(payload) > self.max_message_bytes:
            raise HubError(
                f"the message is {len(payload) / 2**20:.1f} MiB as sent; this node's limit is "
                f"{self.max_message_bytes / 2**20:.1f} MiB (ICOMM_MAX_MESSAGE_BYTES)"
            )
        return message, payload

    async def _sender_refusals(self, tx: Store, senders: set[str]) -> dict[str, HubError | None]:
        """Why each local part may not send from this node (None: it may), looked up at once."""
        active = await tx.users.standing(senders - {POSTMASTER})
        refusals: dict[str, HubError | None] = {}
        for local in senders:
            if local == POSTMASTER or active.get(local):
                refusals[local] = None
            elif local in active:
                refusals[local] = PermissionDenied(
                    f"{local}@{self.node} is deactivated and cannot send"
                )
            else:
                refusals[local] = AddressError(f"no user {local!r} at this node to send from")
        return refusals

    def store_attachments(self, message: Message) -> list[AttachmentMeta]:
        """Put attachment bodies in the encrypted blob store; their metadata goes in rows."""
        if not isinstance(message, Mail):
            return []
        return [
            AttachmentMeta(a.filename, a.media_type, a.size, self.blobs.put(a.content))
            for a in message.attachments
        ]

    async def deliver(
        self, tx: Store, deliveries: Sequence[tuple[Message, Sequence[str]]]
    ) -> list[list[Outcome]]:
        """File stored messages into the mailboxes their local addresses reach (exactly
        once); per message, each address's outcome. Each address is resolved once."""
        resolved = await resolve_locals(
            tx, {parse_address(a)[0] for _, addresses in deliveries for a in addresses}
        )
        entries: list[tuple[str, str, str]] = []
        outcomes = []
        for message, addresses in deliveries:
            per_message = []
            for address in addresses:
                resolution = resolved[parse_address(address)[0]]
                entries.extend((message.id, owner, "inbox") for owner in resolution.owners)
                status = "failed" if resolution.failure else "delivered"
                per_message.append(Outcome(message.id, address, status, resolution.failure))
            outcomes.append(per_message)
        await tx.mailbox.file_many(entries)
        return outcomes

    async def record_results(self, tx: Store, outcomes: Sequence[Outcome]) -> None:
        """Record recipients' outcomes; failures bring a notice to the sender's inbox."""
        failed: dict[str, list[Outcome]] = {}
        for outcome in await tx.deliveries.record(outcomes):
            if outcome.status == "failed":
                failed.setdefault(outcome.message_id, []).append(outcome)
        for message_id, failures in failed.items():
            await self._non_delivery_notice(tx, message_id, failures)

    async def _non_delivery_notice(self, tx: Store, message_id: str, failed: list[Outcome]) -> None:
        original = await tx.mailbox.get(message_id)
        sender_local = parse_address(original.sender)[0]
        lines = "\n".join(f"  {r.address}: {r.reason}" for r in failed)
        notice = Mail(
            sender=f"{POSTMASTER}@{self.node}",
            to=[original.sender],
            subject=f"Undeliverable: {original.subject or original.type}"[:998],
            body=(
                f"Your message {message_id} sent {original.created:%Y-%m-%d %H:%M} UTC "
                f"could not be delivered to:\n{lines}\n\n"
                "It was delivered to every other recipient. Check the address, or ask "
                "an administrator of the receiving node."
            ),
            in_reply_to=message_id,
            thread_id=original.thread_id,
            created=datetime.now(UTC),
        )
        await tx.mailbox.add_message(stored_form(notice, "local"))
        await tx.mailbox.file(notice.id, sender_local, "inbox")
