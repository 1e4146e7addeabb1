"""One running node: the single place that wires start-up and shuts down in reverse.

Start-up order: database (migrations applied), keys, trust store and the signature
checker (its worker threads start on the first large bundle), blob store, transport,
then the dispatcher and the consumer of this node's queue. ``close`` stops them in the
opposite order. Adapters, the CLI and (later) the web and SMTP
entry points use the node only through this published interface: submit a message,
read an address's mailbox, or take what arrives for it (``subscribe``, ``hand_over``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from hub.accounts import Accounts
from hub.config import Settings
from hub.dispatcher import Dispatcher
from hub.errors import HubError
from hub.mailbox import Mailbox
from hub.notifier import Notifier
from hub.receiver import Receiver
from hub.router import POSTMASTER, Router
from hub.subscriptions import BATCH as SUBSCRIPTION_BATCH
from hub.subscriptions import ArrivalHandler, MessageHandler, Subscription
from hub.transports import AmqpTransport, LocalTransport, Transport
from keys import NodeKeyring, SignatureChecker, TrustStore
from message_schemas import KeysAnnounce, Message, parse_address
from storage import BlobStore, Database

log = logging.getLogger(__name__)
STOP_SECONDS = 30.0
#: how long a stopping node goes on publishing what waits in its outbox
LAST_ROUND_SECONDS = 5.0


def make_transport(settings: Settings) -> Transport:
    """``local`` unless an AMQP URL is configured."""
    if settings.amqp_url is not None:
        return AmqpTransport(settings.amqp_url.get_secret_value(), prefix=settings.amqp_prefix)
    return LocalTransport(settings.effective_spool_dir)


#: Python's cyclic garbage collector as a running node sets it (process-wide: serving is
#: the process's work): a young pass every 20,000 allocations instead of 700, an older
#: one every 50 of those and a full one every 100 (instead of 10 and 10). A node makes
#: many short-lived objects a message (rows, models, JSON) that reference counting
#: frees; the default passes found next to nothing and took ≈ 20 % of a busy node's
#: CPU (mail flow ≈ 10 % faster, the whole CEN ≈ 15 %, in interleaved runs).
GC_THRESHOLDS = (20_000, 50, 100)


class Node:
    """A node's components, opened together; ``run`` adds the background loops."""

    def __init__(self, settings: Settings, transport: Transport | None = None) -> None:
        self.settings = settings
        self.id = settings.node
        self.transport = transport or make_transport(settings)
        self._tasks: list[asyncio.Task[None]] = []
        self._dispatching: asyncio.Task[None] | None = None  # in _tasks too
        self._subscriptions: list[Subscription] = []

    async def open(self) -> Self:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(settings.effective_database_url)
        await self.db.migrate()
        self.keyring = NodeKeyring.load_or_create(settings.key_dir, self.id, settings.passphrase)
        if self.keyring.node != self.id:
            raise ValueError(
                f"the keys in {settings.key_dir} belong to node {self.keyring.node!r}, "
                f"not {self.id!r}: check ICOMM_NODE and ICOMM_DATA_DIR"
            )
        self.trust = TrustStore.open(settings.trust_path)
        self.signatures = SignatureChecker(settings.verify_workers)
        self.blobs = BlobStore(settings.blob_dir, settings.key_dir / "blob.key")
        await self.transport.connect()
        self.accounts = Accounts(self.db)
        self.mailbox = Mailbox(self.db, self.blobs)
        self.dispatcher = Dispatcher(
            self.id,
            self.db,
            self.keyring,
            self.trust,
            self.transport,
            bundle_size=settings.bundle_size,
            reseal_after=timedelta(seconds=settings.clock_skew_seconds / 2),
        )
        self.router = Router(
            self.id,
            self.db,
            self.blobs,
            partners=self.trust.nodes,
            max_message_bytes=settings.max_message_bytes,
            group_window=settings.group_window_ms / 1000,
            sealer=self.dispatcher,
            on_outbox=self.dispatcher.poke,
            on_inbox=self._poke_subscriptions,
        )
        self.receiver = Receiver(
            self.id,
            self.db,
            self.keyring,
            self.trust,
            self.router,
            signatures=self.signatures,
            clock_skew=timedelta(seconds=settings.clock_skew_seconds),
            on_outbox=self.dispatcher.receipts_queued,
            on_inbox=self._arrived,
        )
        url = settings.notify_smtp_url
        self.notifier = Notifier(settings, self.db, url.get_secret_value()) if url else None
        await self._ensure_postmaster()
        return self

    async def _ensure_postmaster(self) -> None:
        async with self.db.transaction() as tx:
            if await tx.users.find(POSTMASTER) is None:
                await tx.users.add(POSTMASTER, "service", None, "Icomm postmaster")

    def run(self, dispatch: bool = True, notify: bool = True) -> None:
        """Start dispatching the outbox, consuming this node's queue, feeding subscribers.

        ``dispatch=False`` leaves the outbox to another process of the same node (on
        SQLite, which has no row locks, exactly one process of a node may dispatch);
        ``notify=False`` leaves the email notices (if configured) to another process.
        The process's garbage collector is set to :data:`GC_THRESHOLDS`.
        """
        gc.set_threshold(*GC_THRESHOLDS)
        self._dispatching = (
            asyncio.create_task(self.dispatcher.run(), name=f"{self.id}-dispatcher")
            if dispatch
            else None
        )
        self._tasks = [
            *([self._dispatching] if self._dispatching is not None else []),
            asyncio.create_task(
                self.transport.consume(self.id, self.receiver.handle), name=f"{self.id}-consumer"
            ),
            *(self._start(subscription) for subscription in self._subscriptions),
            *(
                [asyncio.create_task(self.notifier.run(), name=f"{self.id}-notifier")]
                if notify and self.notifier is not None
                else []
            ),
        ]

    async def subscribe(
        self, local: str, handler: MessageHandler, *, batch: int = SUBSCRIPTION_BATCH
    ) -> Subscription:
        """Feed the messages of ``local@<this node>`` (a service mailbox) to ``handler``.

        The adapters' way to receive: the mailbox is created on first use; messages are
        handed over in arrival order, in batches of up to ``batch`` (held in memory
        together), each batch until the handler returns without raising (so a handler
        must take a message twice calmly).
        """
        await self._service_mailbox(local)
        subscription = Subscription(local, handler, self.mailbox, batch=batch)
        self._subscriptions.append(subscription)
        if self._tasks:
            self._tasks.append(self._start(subscription))
        return subscription

    async def hand_over(self, local: str, handler: ArrivalHandler) -> None:
        """Hand what arrives from other nodes for ``local@<this node>`` (a service
        mailbox) to ``handler`` inside the transaction that receives it, instead of filing
        it there (see :mod:`hub.subscriptions`). What is submitted at this node for that
        address is still filed: subscribe to it as well to take that too."""
        await self._service_mailbox(local)
        self.receiver.hand_overs[local] = handler

    async def _service_mailbox(self, local: str) -> None:
        """The service mailbox ``local``, created on first use."""
        async with self.db.transaction() as tx:
            user = await tx.users.find(local)
            if user is None:
                await tx.users.add(local, "service", None, f"{local} service mailbox")
            elif user.role != "service":
                raise HubError(f"{local}@{self.id} is a person's mailbox, not a service")

    def _start(self, subscription: Subscription) -> asyncio.Task[None]:
        return asyncio.create_task(subscription.run(), name=f"{self.id}-{subscription.owner}")

    def _arrived(self, messages: Sequence[tuple[Message, int]]) -> None:
        """Messages from other nodes filed here: the subscribed mailboxes' are kept parsed
        for their subscription (see ``Mailbox.arrived``), then every subscription is poked."""
        owners = {(subscription.owner, self.id) for subscription in self._subscriptions}
        self.mailbox.arrived(
            (message, size)
            for message, size in messages
            if any(parse_address(address) in owners for address in message.to)
        )
        self._poke_subscriptions()

    def _poke_subscriptions(self) -> None:
        for subscription in self._subscriptions:
            subscription.poke()
        if self.notifier is not None:
            self.notifier.poke()

    async def submit(self, message: Message) -> Message:
        """Accept a message written at this node (the adapters' and entry points' way in)."""
        return await self.router.submit(message)

    async def submit_many(self, messages: Sequence[Message]) -> list[Message]:
        """Accept several messages in one transaction (all or none)."""
        return await self.router.submit_many(messages)

    async def announce_keys(self) -> list[str]:
        """Send this node's current public keys to every partner node in the trust store."""
        partners = [node for node in self.trust.nodes() if node != self.id]
        if partners:
            await self.submit(
                KeysAnnounce(
                    sender=f"{POSTMASTER}@{self.id}",
                    to=[f"{POSTMASTER}@{node}" for node in partners],
                    node=self.id,
                    jwks=self.keyring.public_jwks(),
                    effective=datetime.now(UTC),
                )
            )
        return partners

    async def close(self) -> None:
        """Stop the loops, then the transport, then the database (reverse of start-up).

        The dispatcher stops last, after one more round for what waits to leave: the
        receipts held back a moment (:data:`hub.dispatcher.RECEIPT_SECONDS`) go now, not
        at the next start, so the partners' deliveries do not stay pending meanwhile.
        """
        dispatching = self._dispatching
        await _stop([task for task in self._tasks if task is not dispatching])
        if dispatching is not None:
            await _stop([dispatching])
            await self._last_round()
        self._tasks, self._dispatching = [], None
        await self.transport.close()
        self.signatures.close()
        await self.db.close()

    async def _last_round(self) -> None:
        """Publish what waits in the outbox, within :data:`LAST_ROUND_SECONDS` (and see the
        publishes of mail sealed as it was submitted confirmed); what does not leave (the
        broker or the database away, a long backlog) stays there for the next start, as
        after any stop."""
        try:
            async with asyncio.timeout(LAST_ROUND_SECONDS):
                await self.dispatcher.settle()
                await self.dispatcher.flush()
        except Exception as exc:
            log.warning("stopping with messages left in the outbox for the next start: %s", exc)

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel loops and wait for them to end (a loop stuck past STOP_SECONDS is left)."""
    for task in reversed(tasks):
        task.cancel()
    if tasks:
        _, stuck = await asyncio.wait(tasks, timeout=STOP_SECONDS)
        for task in stuck:
            log.error("%s did not stop within %s s; leaving it", task.get_name(), STOP_SECONDS)
