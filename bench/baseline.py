"""The baseline, measured in every run: raw aio-pika on the same broker, nothing else.

Persistent 1 KiB messages published with publisher confirms (many in flight: a sliding
window) to a quorum queue of the run's own, consumed with manual acks by a consumer in a
process of its own (``python -m bench.baseline URL QUEUE COUNT``), as the scenarios'
receiving node is. The throughput
is end to end: from the first publish until the last message is acked. The latency run
offers a steady rate and times each message from its scheduled publish to its consumer.
The queue is deleted afterwards, whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from yarl import URL

KIB = 1024
WINDOW = 512  # publishes awaiting their confirm at once
TIMEOUT = 300.0
READY = "ready"
#: what the issue says raw aio-pika moves on the 2-core machine its targets were set for
REFERENCE_RATE = 3_800.0
#: below this share of it, the run says the machine is slow for the absolute targets
SLOW_SHARE = 0.75


@dataclass(frozen=True)
class Throughput:
    messages: int
    seconds: float  # first publish to last ack
    publish_seconds: float  # first publish to last confirm
    rate: float  # messages per second, end to end

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def pace_note(self) -> str | None:
        """What to make of the absolute targets (seconds, milliseconds) on this machine,
        when it moves raw aio-pika well below the issue's reference (None: it does not).

        The ratios to the baseline stay comparable across machines and days; the seconds
        of the CEN and of a year of SIENA, and the latency's milliseconds, do not."""
        share = self.rate / REFERENCE_RATE
        if share >= SLOW_SHARE:
            return None
        return (
            f"this machine moved raw aio-pika at {share:.0%} of the {REFERENCE_RATE:,.0f} "
            "msg/s the targets were set for: the absolute targets (seconds, ms) are judged "
            "on a slow machine; compare the ratios to the baseline, or run again"
        )


@dataclass(frozen=True)
class Latency:
    offered_rate: float
    achieved_rate: float
    messages: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def figures(
        rate: float, count: int, offered_for: float, seconds: list[float]
    ) -> dict[str, Any]:
        """The fields of a latency run: ``count`` messages offered at ``rate`` over
        ``offered_for`` seconds, each taking ``seconds``."""
        ms = [value * 1000 for value in seconds]
        return {
            "offered_rate": rate,
            "achieved_rate": (count - 1) / offered_for if count > 1 and offered_for > 0 else rate,
            "messages": count,
            "p50_ms": percentile(ms, 0.50),
            "p99_ms": percentile(ms, 0.99),
            "max_ms": max(ms),
        }


async def paced(start: float, count: int, rate: float) -> AsyncIterator[float]:
    """``count`` moments ``rate`` a second from ``start`` (``time.perf_counter()``), each
    given when it comes: a steady offer whose late items keep their scheduled time."""
    for number in range(count):
        due = start + number / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        yield due


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def safe_url(url: str) -> str:
    """The broker URL without its password, for the output."""
    try:
        return str(URL(url).with_password(None))
    except (TypeError, ValueError):
        return "<unparsable AMQP URL>"


async def broker_version(url: str) -> str | None:
    """RabbitMQ's version, or None when the broker does not answer (said quietly)."""
    quiet = logging.getLogger("aiormq")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        connection = await aio_pika.connect(url, timeout=5)
    except Exception:
        return None
    finally:
        quiet.setLevel(level)
    try:
        underlay = getattr(connection.transport, "connection", None)
        properties = getattr(underlay, "server_properties", None) or {}
        version = properties.get("version", b"?")
        return version.decode() if isinstance(version, bytes) else str(version)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _quorum_queue(url: str, name: str) -> AsyncIterator[tuple[AbstractRobustConnection, str]]:
    """A connection and a fresh quorum queue ``name``, deleted on the way out."""
    connection = await aio_pika.connect_robust(url, timeout=10)
    try:
        async with connection.channel() as channel:
            await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        yield connection, name
    finally:
        with contextlib.suppress(Exception):
            async with connection.channel() as channel:
                await channel.queue_delete(name)
        await connection.close()


@dataclass(frozen=True)
class Consumed:
    latencies: list[float]  # per message: from its ``t`` header to its arrival, seconds
    finished: float  # time.perf_counter() when the last one had arrived


async def _consume(url: str, name: str, count: int) -> Consumed:
    """Consume ``count`` messages from queue ``name`` with manual acks; for each, the time
    from its ``t`` header (a ``time.perf_counter()`` of the publisher's: the machine's
    monotonic clock, the same in every process) to its arrival."""
    latencies: list[float] = []
    done = asyncio.Event()
    connection = await aio_pika.connect_robust(url, timeout=10)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=WINDOW)
        queue = await channel.get_queue(name, ensure=True)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await message.ack()
            scheduled = float((message.headers or {}).get("t", 0.0))  # type: ignore[arg-type]
            latencies.append(time.perf_counter() - scheduled)
            if len(latencies) >= count:
                done.set()

        await queue.consume(on_message, no_ack=False)
        print(READY, flush=True)
        await asyncio.wait_for(done.wait(), TIMEOUT)
        return Consumed(latencies, time.perf_counter())
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _consumer(url: str, name: str, count: int) -> AsyncIterator[asyncio.Future[Consumed]]:
    """The consumer in a process of its own (as the scenarios' receiving node is): ready
    when entered; the future gives what it saw once all ``count`` have come."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.baseline",
        url,
        name,
        str(count),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    stdout = process.stdout

    async def result() -> Consumed:
        output = await stdout.read()
        if await process.wait() != 0:
            raise RuntimeError(f"the baseline consumer failed (exit {process.returncode})")
        return Consumed(**json.loads(output))

    try:
        line = await asyncio.wait_for(stdout.readline(), TIMEOUT)
        if line.decode().strip() != READY:
            raise RuntimeError(f"the baseline consumer did not start (it said {line!r})")
        finished = asyncio.ensure_future(result())
        yield finished
        await finished
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _message(body: bytes, headers: dict[str, Any] | None = None) -> aio_pika.Message:
    return aio_pika.Message(
        body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, headers=headers or {}
    )


async def throughput(url: str, prefix: str, messages: int, *, size: int = KIB) -> Throughput:
    """Publish ``messages`` persistent messages with confirms and consume them, end to end."""
    body = os.urandom(size)
    async with (
        _quorum_queue(url, f"{prefix}.baseline") as (connection, name),
        _consumer(url, name, messages) as consumed,
    ):
        publisher = await connection.channel(publisher_confirms=True)
        window = asyncio.Semaphore(WINDOW)

        async def publish_one() -> None:
            try:
                message = _message(body, {"t": time.perf_counter()})
                await publisher.default_exchange.publish(message, routing_key=name)
            finally:
                window.release()

        start = time.perf_counter()
        tasks = []
        for _ in range(messages):
            await window.acquire()
            tasks.append(asyncio.create_task(publish_one()))
        await asyncio.gather(*tasks)
        published = time.perf_counter()
        end = (await consumed).finished
        await publisher.close()
    seconds = end - start
    return Throughput(messages, seconds, published - start, messages / seconds)


async def latency(url: str, prefix: str, rate: float, seconds: float) -> Latency:
    """Offer ``rate`` messages a second for ``seconds``; each timed from its scheduled publish."""
    body = os.urandom(KIB)
    count = max(1, int(rate * seconds))
    async with (
        _quorum_queue(url, f"{prefix}.baseline-latency") as (connection, name),
        _consumer(url, name, count) as consumed,
    ):
        publisher = await connection.channel(publisher_confirms=True)
        tasks = []
        start = time.perf_counter()
        async for due in paced(start, count, rate):
            message = _message(body, {"t": due})
            tasks.append(
                asyncio.create_task(publisher.default_exchange.publish(message, routing_key=name))
            )
        offered_for = time.perf_counter() - start
        await asyncio.gather(*tasks)
        latencies = (await consumed).latencies
        await publisher.close()
    return Latency(**Latency.figures(rate, count, offered_for, latencies))


if __name__ == "__main__":  # the consumer's process: URL QUEUE COUNT
    print(json.dumps(asdict(asyncio.run(_consume(sys.argv[1], sys.argv[2], int(sys.argv[3]))))))
