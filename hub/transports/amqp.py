"""The ``amqp`` transport: RabbitMQ through aio-pika.

Topology, named after ``prefix`` so one broker can hold several networks::

    <prefix>              topic exchange; routing key = node id
    <prefix>.dlx          topic exchange for dead letters; routing key = node id
    <prefix>.<node>.in    quorum queue, bound to <prefix> with <node>
    <prefix>.<node>.dead  classic queue, bound to <prefix>.dlx with <node>

Attempts are counted by the broker: a quorum queue counts every delivery of a message
(``x-delivery-count``, 0 on the first) and dead-letters it when it comes back over its
``x-delivery-limit`` (``max_attempts - 1``, so a message is delivered at most
``max_attempts`` times), at-least-once, to ``<prefix>.dlx``. When the handler fails the
last attempt, the consumer moves the message to the dead letters itself, with the
handler's error in its headers, and falls back to the broker's limit if it cannot.

The dead-letter queue is classic, not quorum: listing it means taking every message and
giving it back, which a quorum queue counts as a delivery (and from RabbitMQ 4.0 drops
past a default limit of 20); a classic queue puts it back in place, uncounted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import (
    AMQPError,
    ChannelInvalidStateError,
    ChannelNotFoundEntity,
    DeliveryError,
    PublishError,
)
from yarl import URL

from hub.errors import TransportError
from hub.transports.base import DeadLetter, Delivery, Handler

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/jose+json"
ERROR_HEADER = "x-icomm-error"
ATTEMPTS_HEADER = "x-icomm-attempts"
FAILED_AT_HEADER = "x-icomm-failed-at"
# what aio-pika raises when the broker, the channel or the socket lets us down
CLOSE_SECONDS = 10.0
BROKER_ERRORS = (AMQPError, ChannelInvalidStateError, ConnectionError, OSError, TimeoutError)


def _copy(
    message: AbstractIncomingMessage, headers: dict[str, Any] | None = None
) -> aio_pika.Message:
    """A persistent copy of an envelope with fresh headers (so its delivery count restarts)."""
    return aio_pika.Message(
        message.body,
        message_id=message.message_id,
        timestamp=message.timestamp,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers=headers or {},
    )


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _attempt(message: AbstractIncomingMessage) -> int:
    count = (message.headers or {}).get("x-delivery-count", 0)
    return 1 + int(count) if isinstance(count, int) else 1


def _error_of(message: AbstractIncomingMessage, max_attempts: int) -> str:
    """Why a dead letter is dead, readable: the handler's error, else the broker's reason."""
    headers = message.headers or {}
    error = headers.get(ERROR_HEADER)
    if isinstance(error, bytes | str):
        text = error.decode() if isinstance(error, bytes) else error
        return f"{text} (after {headers.get(ATTEMPTS_HEADER, max_attempts)} attempts)"
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        reason = deaths[0].get("reason", "unknown")
        reason = reason.decode() if isinstance(reason, bytes) else str(reason)
        if reason == "delivery_limit":
            return f"delivery limit reached after {max_attempts} attempts (no error recorded)"
        return f"dead-lettered by the broker: {reason}"
    return "no error recorded"


def _failed_at(message: AbstractIncomingMessage) -> datetime:
    headers = message.headers or {}
    moment = headers.get(FAILED_AT_HEADER)
    deaths = headers.get("x-death")
    if not isinstance(moment, datetime) and isinstance(deaths, list) and deaths:
        moment = deaths[0].get("time") if isinstance(deaths[0], dict) else None
    if not isinstance(moment, datetime):
        moment = message.timestamp
    return _aware(moment) or datetime.now(UTC)


class _Consumer:
    """The handler runs of one ``consume`` call: which are still in the handler."""

    def __init__(self) -> None:
        self.handling: set[asyncio.Task[Any]] = set()
        self.settling: set[asyncio.Task[Any]] = set()


class AmqpTransport:
    name = "amqp"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "icomm",
        max_attempts: int = 5,
        prefetch: int = 64,
        retry_delay: float = 1.0,
        timeout: float = 30.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._url = url
        self.prefix = prefix
        self.max_attempts = max_attempts
        self.prefetch = prefetch
        self.retry_delay = retry_delay  # seconds times the attempt, before a failed one goes back
        self.timeout = timeout  # for connecting and for each publisher confirm
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None  # publishes, with confirms
        self._exchange: AbstractExchange | None = None
        self._dlx: AbstractExchange | None = None
        self._declared: set[str] = set()  # nodes whose queues the publishing channel declared
        self._declaring = asyncio.Lock()
        self._closed = asyncio.Event()

    @property
    def safe_url(self) -> str:
        """The broker URL without its password, for messages and logs."""
        try:
            return str(URL(self._url).with_password(None))
        except (TypeError, ValueError):
            return "<unparsable AMQP URL>"

    # topology

    def _in_queue(self, node: str) -> str:
        return f"{self.prefix}.{node}.in"

    def _dead_queue(self, node: str) -> str:
        return f"{self.prefix}.{node}.dead"

    async def _declare_exchanges(
        self, channel: AbstractChannel
    ) -> tuple[AbstractExchange, AbstractExchange]:
        exchange = await channel.declare_exchange(
            self.prefix, aio_pika.ExchangeType.TOPIC, durable=True
        )
        dlx = await channel.declare_exchange(
            f"{self.prefix}.dlx", aio_pika.ExchangeType.TOPIC, durable=True
        )
        return exchange, dlx

    async def _declare_node(self, channel: AbstractChannel, node: str) -> AbstractQueue:
        """Declare (idempotently) and bind ``node``'s queue and dead-letter queue."""
        exchange, dlx = await self._declare_exchanges(channel)
        queue = await channel.declare_queue(
            self._in_queue(node),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.max_attempts - 1,
                "x-dead-letter-exchange": f"{self.prefix}.dlx",
                "x-dead-letter-routing-key": node,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",  # required by at-least-once dead-lettering
            },
        )
        await queue.bind(exchange, routing_key=node)
        dead = await channel.declare_queue(self._dead_queue(node), durable=True)
        await dead.bind(dlx, routing_key=node)
        return queue

    # life cycle

    async def connect(self) -> None:
        if self._connection is not None:
            return
        try:
            async with asyncio.timeout(self.timeout):
                connection = await aio_pika.connect_robust(
                    self._url, client_properties={"connection_name": f"icomm {self.prefix}"}
                )
        except (*BROKER_ERRORS, ValueError) as exc:
            raise TransportError(f"cannot connect to RabbitMQ at {self.safe_url}: {exc}") from exc
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            self._exchange, self._dlx = await self._declare_exchanges(channel)
        except BROKER_ERRORS as exc:
            await connection.close()
            raise TransportError(
                f"cannot declare the exchanges {self.prefix!r} at {self.safe_url}: {exc}"
            ) from exc
        self._connection, self._channel = connection, channel
        self._closed.clear()

    def _connected(self) -> tuple[AbstractRobustConnection, AbstractChannel]:
        if self._connection is None or self._channel is None:
            raise TransportError("the amqp transport is not connected")
        return self._connection, self._channel

    async def close(self) -> None:
        self._closed.set()
        connection, channel = self._connection, self._channel
        self._connection = self._channel = self._exchange = self._dlx = None
        self._declared.clear()
        if connection is None:
            return
        # bounded: a connection the broker dropped, or one still reconnecting, must not
        # hold up a node's shutdown
        with contextlib.suppress(*BROKER_ERRORS):
            if channel is not None:
                async with asyncio.timeout(CLOSE_SECONDS):
                    await channel.close()
        with contextlib.suppress(*BROKER_ERRORS):
            async with asyncio.timeout(CLOSE_SECONDS):
                await connection.close()

    @contextlib.asynccontextmanager
    async def _short_channel(self, **options: bool) -> AsyncIterator[AbstractChannel]:
        """A channel for one operation; whatever it took and did not ack goes back on close."""
        connection, _ = self._connected()
        channel = await connection.channel(**options)
        try:
            yield channel
        finally:
            with contextlib.suppress(*BROKER_ERRORS):
                await channel.close()

    # publishing

    async def publish(self, node: str, envelope_id: str, body: bytes) -> None:
        message = aio_pika.Message(
            body,
            message_id=envelope_id,
            timestamp=datetime.now(UTC),
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            try:
                await self._publish_once(node, message)
            except PublishError:
                # returned, so nothing was queued: the node's queue was deleted behind our
                # back; declare it again and publish once more
                self._declared.discard(node)
                await self._publish_once(node, message)
        except PublishError as exc:
            self._declared.discard(node)
            raise TransportError(
                f"envelope {envelope_id} for {node} was not routed to {self._in_queue(node)}: {exc}"
            ) from exc
        except DeliveryError as exc:
            raise TransportError(f"RabbitMQ refused envelope {envelope_id} for {node}") from exc
        except BROKER_ERRORS as exc:
            raise TransportError(
                f"cannot publish envelope {envelope_id} for {node} to {self.safe_url}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    async def _publish_once(self, node: str, message: aio_pika.Message) -> None:
        """Publish and wait for the broker's confirm (concurrent publishes each wait on
        their own)."""
        await self._ensure_node(node)
        if self._exchange is None:
            raise TransportError("the amqp transport is closed")
        async with asyncio.timeout(self.timeout):
            await self._exchange.publish(message, routing_key=node, mandatory=True)

    async def _ensure_node(self, node: str) -> None:
        """Declare the node's queues once on the publishing channel (which re-declares them
        after a reconnection)."""
        _, channel = self._connected()
        if node in self._declared:
            return
        async with self._declaring:  # once, however many publishes wait for it
            if node not in self._declared:
                await self._declare_node(channel, node)
                self._declared.add(node)

    # consuming

    async def consume(self, node: str, handler: Handler) -> None:
        connection, _ = self._connected()
        state = _Consumer()

        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            assert task is not None
            state.handling.add(task)
            try:
                await self._process(node, message, handler, state, task)
            finally:
                state.handling.discard(task)
                state.settling.discard(task)

        try:
            channel = await connection.channel(publisher_confirms=False)
        except BROKER_ERRORS as exc:
            raise TransportError(f"cannot open a channel to {self.safe_url}: {exc}") from exc
        try:
            await channel.set_qos(prefetch_count=self.prefetch)
            queue = await self._declare_node(channel, node)
            tag = await queue.consume(on_message, no_ack=False)
        except BaseException as exc:
            with contextlib.suppress(*BROKER_ERRORS):
                await channel.close()
            if isinstance(exc, BROKER_ERRORS):
                raise TransportError(
                    f"cannot consume {self._in_queue(node)} at {self.safe_url}: {exc}"
                ) from exc
            raise
        try:
            await self._closed.wait()
        finally:
            await self._stop(channel, queue, tag, state)

    async def _stop(
        self, channel: AbstractChannel, queue: AbstractQueue, tag: str, state: _Consumer
    ) -> None:
        """Stop taking messages, stop the handlers, close: what was not acked goes back."""
        with contextlib.suppress(*BROKER_ERRORS):
            async with asyncio.timeout(5):
                await queue.cancel(tag)
        stopping = state.handling - state.settling
        for task in stopping:
            task.cancel()
        if state.handling:  # an ack on a dead channel must not hang the shutdown
            await asyncio.wait(set(state.handling), timeout=CLOSE_SECONDS)
        with contextlib.suppress(*BROKER_ERRORS):
            async with asyncio.timeout(CLOSE_SECONDS):
                await channel.close()

    async def _process(
        self,
        node: str,
        message: AbstractIncomingMessage,
        handler: Handler,
        state: _Consumer,
        task: asyncio.Task[Any],
    ) -> None:
        """Ack, redeliver or dead-letter: decided here and only here."""
        attempt = _attempt(message)
        envelope_id = message.message_id or ""
        delivery = Delivery(envelope_id, message.body, attempt, _aware(message.timestamp))
        try:
            await handler(delivery)
        except asyncio.CancelledError:
            raise  # left unacked: back in the queue when the channel closes
        except Exception as exc:  # not stored: deliver again, or dead-letter past the limit
            if attempt >= self.max_attempts:
                state.settling.add(task)
                await self._dead_letter(node, message, attempt, exc)
                return
            log.warning("envelope %s attempt %d failed, will retry: %s", envelope_id, attempt, exc)
            # back off before giving it back, as the local transport does: a database that
            # is restarting must not use up every attempt within a second
            await asyncio.sleep(self.retry_delay * attempt)
            state.settling.add(task)
            await self._settle(message, ack=False)
        else:
            state.settling.add(task)
            await self._settle(message, ack=True)

    async def _settle(self, message: AbstractIncomingMessage, *, ack: bool) -> None:
        try:
            if ack:
                await message.ack()
            else:
                await message.nack(requeue=True)
        except BROKER_ERRORS as exc:  # the channel went away: the broker delivers it again
            log.warning(
                "could not %s envelope %s (%s); it will be delivered again",
                "ack" if ack else "requeue",
                message.message_id,
                exc,
            )

    async def _dead_letter(
        self, node: str, message: AbstractIncomingMessage, attempt: int, exc: Exception
    ) -> None:
        """Move a message that failed its last attempt to the dead letters, with the error."""
        envelope_id = message.message_id or ""
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.error("envelope %s dead-lettered after %d attempts: %s", envelope_id, attempt, error)
        copy = _copy(
            message,
            {ERROR_HEADER: error, ATTEMPTS_HEADER: attempt, FAILED_AT_HEADER: datetime.now(UTC)},
        )
        try:
            if self._dlx is None:
                raise TransportError("the amqp transport is closed")
            async with asyncio.timeout(self.timeout):
                await self._dlx.publish(copy, routing_key=node, mandatory=True)
        except (*BROKER_ERRORS, TransportError) as publish_error:
            log.warning(
                "could not record the error of envelope %s (%s); RabbitMQ dead-letters it "
                "without it",
                envelope_id,
                publish_error,
            )
            await self._settle(message, ack=False)
            return
        await self._settle(message, ack=True)

    # dead letters and depth

    async def _take_all(self, channel: AbstractChannel, node: str) -> list[AbstractIncomingMessage]:
        """The node's dead letters, taken unacked (they go back when the channel closes)."""
        try:
            queue = await channel.declare_queue(self._dead_queue(node), passive=True, robust=False)
        except ChannelNotFoundEntity:
            return []  # never declared: nothing ever failed for this node
        taken = []
        for _ in range(queue.declaration_result.message_count or 0):
            message = await queue.get(no_ack=False, fail=False, timeout=self.timeout)
            if message is None:
                break
            taken.append(message)
        return taken

    async def dead_letters(self, node: str) -> list[DeadLetter]:
        try:
            async with self._short_channel(publisher_confirms=False) as channel:
                return [
                    DeadLetter(
                        id=message.message_id or "",
                        node=node,
                        body=message.body,
                        error=_error_of(message, self.max_attempts),
                        failed_at=_failed_at(message),
                    )
                    for message in await self._take_all(channel, node)
                ]
        except BROKER_ERRORS as exc:
            raise TransportError(
                f"cannot list the dead letters of {node} at {self.safe_url}: {exc}"
            ) from exc

    async def retry_dead_letter(self, node: str, letter_id: str) -> None:
        try:
            async with self._short_channel(publisher_confirms=True, on_return_raises=True) as ch:
                for message in await self._take_all(ch, node):
                    if message.message_id == letter_id:
                        await self._requeue(ch, node, message)
                        return
        except (PublishError, DeliveryError) as exc:
            raise TransportError(f"cannot put dead letter {letter_id!r} back for {node}") from exc
        except BROKER_ERRORS as exc:
            raise TransportError(
                f"cannot retry dead letter {letter_id!r} of {node} at {self.safe_url}: {exc}"
            ) from exc
        raise TransportError(f"no dead letter {letter_id!r} for node {node}")

    async def _requeue(
        self, channel: AbstractChannel, node: str, message: AbstractIncomingMessage
    ) -> None:
        """Publish a fresh copy to the node's queue (its attempts start again), then ack."""
        await self._declare_node(channel, node)
        exchange = await channel.get_exchange(self.prefix)
        copy = _copy(message)
        async with asyncio.timeout(self.timeout):
            await exchange.publish(copy, routing_key=node, mandatory=True)
        await message.ack()

    async def depth(self, node: str) -> int:
        """Envelopes ready for delivery (what AMQP reports): those a consumer holds are not
        counted, and those a stopping consumer gives back reappear a moment later."""
        try:
            async with self._short_channel(publisher_confirms=False) as channel:
                try:
                    queue = await channel.declare_queue(
                        self._in_queue(node), passive=True, robust=False
                    )
                except ChannelNotFoundEntity:
                    return 0
                return queue.declaration_result.message_count or 0
        except BROKER_ERRORS as exc:
            raise TransportError(
                f"cannot read the depth of {self._in_queue(node)} at {self.safe_url}: {exc}"
            ) from exc
