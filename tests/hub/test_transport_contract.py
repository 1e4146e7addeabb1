"""The transport contract: what every transport (``local`` and ``amqp``) must do.

Everything here goes through the public interface of :class:`hub.transports.base.Transport`
except the crash-recovery tests, which have to fake a claim left by a dead process and so
use the spool layout documented in :mod:`hub.transports.local` (``local`` only).

The ``amqp`` leg runs against the RabbitMQ at ``ICOMM_TEST_AMQP_URL`` (default
``amqp://guest:guest@127.0.0.1:5672/``) under a prefix of each test's own, deleted after
the test; it is skipped when no broker answers there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from broker import TEST_AMQP_URL, amqp_prefix
from nodes import eventually

from hub.errors import TransportError
from hub.transports.amqp import AmqpTransport
from hub.transports.base import Delivery, Handler, Transport
from hub.transports.local import LocalTransport

MAX_ATTEMPTS = 3
TransportFactory = Callable[[], Transport]


@pytest.fixture(params=["local", "amqp"])
async def make_transport(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[TransportFactory]:
    """Connected transports of one kind sharing one broker (for ``local``: one spool)."""
    async with contextlib.AsyncExitStack() as stack:
        prefix = await stack.enter_async_context(amqp_prefix()) if request.param == "amqp" else ""

        def build() -> Transport:
            if request.param == "local":
                return LocalTransport(
                    tmp_path / "spool", max_attempts=MAX_ATTEMPTS, retry_delay=0.05
                )
            return AmqpTransport(
                TEST_AMQP_URL, prefix=prefix, max_attempts=MAX_ATTEMPTS, retry_delay=0.05
            )

        made: list[Transport] = []

        def make() -> Transport:
            made.append(build())
            return made[-1]

        yield make
        for transport in made:
            await transport.close()


@pytest.fixture
async def transport(make_transport: TransportFactory) -> Transport:
    t = make_transport()
    await t.connect()
    return t


class Recorder:
    """A handler that records what it is given, failing for the envelope ids it is told to."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.deliveries: list[Delivery] = []
        self.failing = failing or set()

    async def __call__(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        if delivery.envelope_id in self.failing:
            raise RuntimeError(f"cannot store {delivery.envelope_id}")

    def ids(self) -> list[str]:
        return [d.envelope_id for d in self.deliveries]

    def attempts(self, envelope_id: str) -> list[int]:
        return [d.attempt for d in self.deliveries if d.envelope_id == envelope_id]


@contextlib.asynccontextmanager
async def consuming(transport: Transport, node: str, handler: Handler) -> AsyncIterator[None]:
    task = asyncio.create_task(transport.consume(node, handler))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def new_id() -> str:
    return uuid.uuid4().hex


async def test_published_envelope_reaches_the_handler_and_is_acknowledged(
    transport: Transport,
) -> None:
    recorder = Recorder()
    envelope_id = new_id()
    await transport.publish("ge", envelope_id, b"sealed bytes")
    assert await transport.depth("ge") == 1

    async with consuming(transport, "ge", recorder):

        async def handled() -> bool:
            return len(recorder.deliveries) == 1 and await transport.depth("ge") == 0

        await eventually(handled)

    [delivery] = recorder.deliveries
    assert delivery.envelope_id == envelope_id
    assert delivery.body == b"sealed bytes"
    assert delivery.attempt == 1
    assert delivery.queued_at is not None
    assert await transport.depth("ge") == 0


async def test_envelope_id_with_hyphens_arrives_unchanged(transport: Transport) -> None:
    recorder = Recorder()
    envelope_id = str(uuid.uuid4())  # the canonical form of a UUID, hyphens included
    await transport.publish("ge", envelope_id, b"x")
    async with consuming(transport, "ge", recorder):

        async def handled() -> bool:
            return len(recorder.deliveries) == 1

        await eventually(handled)
    assert recorder.deliveries[0].envelope_id == envelope_id
    assert recorder.deliveries[0].attempt == 1


async def test_envelopes_arrive_in_the_order_they_were_published(transport: Transport) -> None:
    recorder = Recorder()
    published = [new_id() for _ in range(10)]
    for envelope_id in published:
        await transport.publish("ge", envelope_id, envelope_id.encode())

    async with consuming(transport, "ge", recorder):

        async def all_handled() -> bool:
            return len(recorder.deliveries) == len(published)

        await eventually(all_handled)
    assert recorder.ids() == published


async def test_failing_envelope_is_retried_then_dead_lettered_and_can_be_retried(
    transport: Transport,
) -> None:
    bad = new_id()
    recorder = Recorder(failing={bad})
    await transport.publish("ge", bad, b"poison")

    async with consuming(transport, "ge", recorder):

        async def dead_lettered() -> bool:
            return len(await transport.dead_letters("ge")) == 1

        await eventually(dead_lettered)
        assert recorder.attempts(bad) == [1, 2, 3]
        assert all(d.body == b"poison" for d in recorder.deliveries)
        assert await transport.depth("ge") == 0

        # a later envelope is handled while the dead letter stays where it is
        marker = new_id()
        await transport.publish("ge", marker, b"marker")

        async def marker_handled() -> bool:
            return marker in recorder.ids()

        await eventually(marker_handled)
        assert recorder.attempts(bad) == [1, 2, 3]

        [letter] = await transport.dead_letters("ge")
        assert letter.node == "ge"
        assert letter.body == b"poison"
        assert f"cannot store {bad}" in letter.error

        recorder.failing.clear()
        await transport.retry_dead_letter("ge", letter.id)

        async def delivered_again() -> bool:
            return len(recorder.attempts(bad)) == 4 and await transport.depth("ge") == 0

        await eventually(delivered_again)

    assert recorder.attempts(bad) == [1, 2, 3, 1]
    assert await transport.dead_letters("ge") == []


async def test_queues_are_per_node(transport: Transport) -> None:
    for_am, for_ge = Recorder(), Recorder()
    am_envelope, ge_envelope = new_id(), new_id()
    await transport.publish("am", am_envelope, b"for am")
    await transport.publish("ge", ge_envelope, b"for ge")

    async with consuming(transport, "ge", for_ge), consuming(transport, "am", for_am):

        async def both_handled() -> bool:
            return len(for_ge.deliveries) == 1 and len(for_am.deliveries) == 1

        await eventually(both_handled)
    assert for_ge.ids() == [ge_envelope]
    assert for_am.ids() == [am_envelope]


async def test_consumer_cancelled_mid_handler_leaves_the_envelope_queued(
    transport: Transport,
) -> None:
    started = asyncio.Event()

    async def never_finishes(delivery: Delivery) -> None:
        started.set()
        await asyncio.Event().wait()

    envelope_id = new_id()
    await transport.publish("ge", envelope_id, b"in flight")
    async with consuming(transport, "ge", never_finishes):
        await asyncio.wait_for(started.wait(), 10)

    async def queued_again() -> bool:  # a broker may take a moment to put it back
        return await transport.depth("ge") == 1

    await eventually(queued_again)

    recorder = Recorder()
    async with consuming(transport, "ge", recorder):

        async def handled() -> bool:
            return len(recorder.deliveries) == 1 and await transport.depth("ge") == 0

        await eventually(handled)
    assert recorder.ids() == [envelope_id]
    assert recorder.deliveries[0].body == b"in flight"


async def test_consumer_cancelled_in_the_moment_an_envelope_is_published_stops(
    transport: Transport,
) -> None:
    """A stop that comes with new work still stops the consumer, and loses nothing: on
    Python 3.11 ``asyncio.wait_for`` swallowed a cancellation that came as the event it
    awaited was set, and the consumer ran on (whatever awaited its end waited forever)."""
    recorder, published = Recorder(), []
    for attempt in range(20):
        task = asyncio.create_task(transport.consume("ge", recorder))
        await asyncio.sleep(0.05)  # idle, waiting for work
        published.append(new_id())
        await transport.publish("ge", published[-1], b"x")
        task.cancel()  # in the same moment as the publish wakes it
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, f"attempt {attempt}: the consumer ran on after it was cancelled"

    async with consuming(transport, "ge", recorder):

        async def all_handled() -> bool:
            return set(recorder.ids()) == set(published) and await transport.depth("ge") == 0

        await eventually(all_handled)


async def test_consumer_starting_later_does_not_take_an_envelope_another_is_handling(
    make_transport: TransportFactory,
) -> None:
    first, second = make_transport(), make_transport()
    await first.connect()
    await second.connect()
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()
    first_seen: list[str] = []
    envelope_id = new_id()

    async def slow_for_one(delivery: Delivery) -> None:
        first_seen.append(delivery.envelope_id)
        if delivery.envelope_id == envelope_id:
            started.set()
            await release.wait()
            finished.set()

    await first.publish("ge", envelope_id, b"one")
    recorder = Recorder()
    async with consuming(first, "ge", slow_for_one):
        await asyncio.wait_for(started.wait(), 10)
        async with consuming(second, "ge", recorder):
            # the queue goes on while one envelope is being handled (by either consumer:
            # a transport may hand a busy consumer more than one envelope at a time)
            marker = new_id()
            await second.publish("ge", marker, b"marker")

            async def marker_handled() -> bool:
                return marker in recorder.ids() + first_seen

            await eventually(marker_handled)
            release.set()
            await asyncio.wait_for(finished.wait(), 10)

            async def acknowledged() -> bool:
                return await first.depth("ge") == 0

            await eventually(acknowledged)
    assert first_seen.count(envelope_id) == 1
    assert envelope_id not in recorder.ids()
    assert (recorder.ids() + first_seen).count(marker) == 1

    # and it was acknowledged: a later consumer gets only what is published later
    later, last = Recorder(), new_id()
    await second.publish("ge", last, b"last")
    async with consuming(second, "ge", later):

        async def last_handled() -> bool:
            return last in later.ids()

        await eventually(last_handled)
    assert later.ids() == [last]


async def test_two_consumers_of_one_queue_handle_each_envelope_exactly_once(
    make_transport: TransportFactory,
) -> None:
    workers = [make_transport(), make_transport()]
    for worker in workers:
        await worker.connect()
    handled: Counter[str] = Counter()
    by_worker: list[Counter[str]] = [Counter(), Counter()]

    def handler_for(index: int) -> Handler:
        async def handle(delivery: Delivery) -> None:
            await asyncio.sleep(0.002)  # let the other worker take its turn
            handled[delivery.envelope_id] += 1
            by_worker[index][delivery.envelope_id] += 1

        return handle

    published = [new_id() for _ in range(50)]
    async with consuming(workers[0], "ge", handler_for(0)):
        for envelope_id in published[:25]:
            await workers[0].publish("ge", envelope_id, b"x")
        async with consuming(workers[1], "ge", handler_for(1)):
            for envelope_id in published[25:]:
                await workers[1].publish("ge", envelope_id, b"x")

            async def all_handled() -> bool:
                return sum(handled.values()) >= 50 and await workers[0].depth("ge") == 0

            await eventually(all_handled)
    assert handled == Counter(published)
    assert sum(by_worker[1].values()) > 0, "the second worker never took an envelope"


async def test_claim_left_by_a_dead_process_is_delivered(
    make_transport: TransportFactory, tmp_path: Path
) -> None:
    transport = make_transport()
    await transport.connect()
    if not isinstance(transport, LocalTransport):
        pytest.skip("fakes a crashed local consumer through the spool layout")
    envelope_id = new_id()
    await transport.publish("ge", envelope_id, b"claimed by the dead")
    queue = transport.spool / "ge"
    [name] = os.listdir(queue / "new")

    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(30)"
    )
    try:
        os.rename(queue / "new" / name, queue / "cur" / f"{name}~{holder.pid}")

        # while the holder lives, its claim is left alone
        recorder = Recorder()
        async with consuming(transport, "ge", recorder):
            marker = new_id()
            await transport.publish("ge", marker, b"marker")

            async def marker_handled() -> bool:
                return marker in recorder.ids()

            await eventually(marker_handled)
        assert recorder.ids() == [marker]
        assert await transport.depth("ge") == 1
    finally:
        with contextlib.suppress(ProcessLookupError):  # gone already: the failure says why
            holder.send_signal(signal.SIGKILL)
        await holder.wait()

    recorder = Recorder()
    async with consuming(transport, "ge", recorder):

        async def recovered() -> bool:
            return len(recorder.deliveries) == 1 and await transport.depth("ge") == 0

        await eventually(recovered)
    assert recorder.ids() == [envelope_id]
    assert recorder.deliveries[0].body == b"claimed by the dead"


async def test_running_consumer_recovers_the_claim_of_a_worker_that_died(tmp_path: Path) -> None:
    transport = LocalTransport(tmp_path / "spool", recover_every=0.1)
    await transport.connect()
    envelope_id = new_id()
    await transport.publish("ge", envelope_id, b"claimed by a worker that died")
    queue = transport.spool / "ge"
    [name] = os.listdir(queue / "new")
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(30)"
    )
    os.rename(queue / "new" / name, queue / "cur" / f"{name}~{holder.pid}")
    recorder = Recorder()
    async with consuming(transport, "ge", recorder):
        holder.send_signal(signal.SIGKILL)  # the other worker dies while this one runs
        await holder.wait()

        async def recovered() -> bool:
            return recorder.ids() == [envelope_id]

        await eventually(recovered)


async def test_a_claim_the_thread_makes_after_the_consumer_stopped_is_given_back(
    tmp_path: Path,
) -> None:
    """A claim runs in a worker thread, which a stopped consumer cannot stop: what it
    claims after the stop goes back to ``new`` (it had stayed in ``cur``, held by this
    live process, out of every later consumer's reach)."""
    transport = LocalTransport(tmp_path / "spool")
    await transport.connect()
    envelope_id = new_id()
    await transport.publish("ge", envelope_id, b"claimed as the consumer stops")
    entered, go_on = threading.Event(), threading.Event()
    claim = transport._claim

    def slow_claim(node: str, names: list[str]) -> tuple[str, Path, bytes, float] | None:
        entered.set()
        go_on.wait(10)
        return claim(node, names)

    transport._claim = slow_claim  # type: ignore[method-assign]
    consumer = asyncio.create_task(transport.consume("ge", Recorder()))
    await asyncio.to_thread(entered.wait, 10)
    consumer.cancel()
    go_on.set()
    with contextlib.suppress(asyncio.CancelledError):
        await consumer
    queue = transport.spool / "ge"
    assert os.listdir(queue / "cur") == []
    transport._claim = claim  # type: ignore[method-assign]
    recorder = Recorder()
    async with consuming(transport, "ge", recorder):

        async def delivered() -> bool:
            return recorder.ids() == [envelope_id]

        await eventually(delivered)


async def test_retrying_an_unknown_dead_letter_is_a_clear_error(transport: Transport) -> None:
    with pytest.raises(TransportError, match=r"no dead letter 'nonexistent' for node ge"):
        await transport.retry_dead_letter("ge", "nonexistent")
