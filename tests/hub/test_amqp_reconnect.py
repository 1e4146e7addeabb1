"""The amqp transport survives the broker dropping its connection, and rebuilds its topology.

The connections are really closed, by ``rabbitmqctl close_connection`` (only this test's
own, found by the connection name the transport gives itself: other users of the broker
are left alone). Needs the broker on this machine, with ``rabbitmqctl`` on the PATH.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.exceptions import ChannelNotFoundEntity
from broker import TEST_AMQP_URL, amqp_prefix
from nodes import eventually
from test_transport_contract import Recorder, consuming

from hub.errors import TransportError
from hub.transports.amqp import AmqpTransport

pytestmark = pytest.mark.skipif(
    shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl to close connections"
)
WITHIN = 60.0  # every wait here is bounded by this


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    async with amqp_prefix() as name:
        yield name


async def rabbitmqctl(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", "-q", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), WITHIN)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def close_connections_named(name: str) -> int:
    """Have the broker close every connection whose client calls itself ``name``."""
    listing = await rabbitmqctl(
        "list_connections", "--no-table-headers", "pid", "client_properties"
    )
    wanted = f'{{"connection_name","{name}"}}'
    pids = [line.split("\t", 1)[0] for line in listing.splitlines() if wanted in line]
    for pid in pids:
        await rabbitmqctl("close_connection", pid, "test: cutting the connection")
    return len(pids)


async def queue_exists(name: str) -> bool:
    connection = await aio_pika.connect(TEST_AMQP_URL, timeout=10)
    try:
        async with connection.channel() as channel:
            await channel.declare_queue(name, passive=True)
        return True
    except ChannelNotFoundEntity:
        return False
    finally:
        await connection.close()


async def delete_queue(name: str) -> None:
    connection = await aio_pika.connect(TEST_AMQP_URL, timeout=10)
    try:
        async with connection.channel() as channel:
            await channel.queue_delete(name)
    finally:
        await connection.close()


async def publish_until_confirmed(transport: AmqpTransport, node: str, envelope_id: str) -> None:
    """What the dispatcher does: a publish that fails is tried again until it is confirmed."""
    deadline = time.monotonic() + WITHIN
    while True:
        try:
            await transport.publish(node, envelope_id, envelope_id.encode())
            return
        except TransportError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_consumer_and_publisher_carry_on_after_the_broker_closes_the_connection(
    prefix: str,
) -> None:
    transport = AmqpTransport(TEST_AMQP_URL, prefix=prefix, max_attempts=3)
    await transport.connect()
    recorder = Recorder()
    before = [uuid.uuid4().hex for _ in range(20)]
    after = [uuid.uuid4().hex for _ in range(20)]
    try:
        async with consuming(transport, "ge", recorder):
            for envelope_id in before:
                await transport.publish("ge", envelope_id, envelope_id.encode())
            assert await close_connections_named(f"icomm {prefix}") == 1
            for envelope_id in after:  # the first ones may meet the connection still down
                await publish_until_confirmed(transport, "ge", envelope_id)

            async def every_envelope_handled() -> bool:
                return set(recorder.ids()) >= {*before, *after}

            await eventually(every_envelope_handled, within=WITHIN)
    finally:
        await transport.close()
    # at least once: one that was in flight when the connection went may come twice
    assert set(recorder.ids()) == {*before, *after}
    assert all(d.body == d.envelope_id.encode() for d in recorder.deliveries)


async def test_queue_deleted_while_the_connection_is_down_is_declared_again(prefix: str) -> None:
    transport = AmqpTransport(TEST_AMQP_URL, prefix=prefix, max_attempts=3)
    await transport.connect()
    recorder = Recorder()
    try:
        async with consuming(transport, "ge", recorder):
            first = uuid.uuid4().hex
            await transport.publish("ge", first, b"before")

            async def first_handled() -> bool:
                return first in recorder.ids()

            await eventually(first_handled, within=WITHIN)

            await delete_queue(f"{prefix}.ge.in")
            await close_connections_named(f"icomm {prefix}")

            async def queue_is_back() -> bool:
                return await queue_exists(f"{prefix}.ge.in")

            await eventually(queue_is_back, within=WITHIN)
            second = uuid.uuid4().hex
            await publish_until_confirmed(transport, "ge", second)

            async def second_handled() -> bool:
                return second in recorder.ids()

            await eventually(second_handled, within=WITHIN)
    finally:
        await transport.close()
    assert await queue_exists(f"{prefix}.ge.dead")


async def test_publish_declares_the_queue_again_when_it_was_deleted_behind_its_back(
    prefix: str,
) -> None:
    transport = AmqpTransport(TEST_AMQP_URL, prefix=prefix)
    await transport.connect()
    try:
        await transport.publish("ge", uuid.uuid4().hex, b"declares the queue")
        await delete_queue(f"{prefix}.ge.in")  # and the envelope in it with it
        envelope_id = uuid.uuid4().hex
        await transport.publish("ge", envelope_id, b"after the deletion")
        assert await transport.depth("ge") == 1
        recorder = Recorder()
        async with consuming(transport, "ge", recorder):

            async def handled() -> bool:
                return recorder.ids() == [envelope_id]

            await eventually(handled, within=WITHIN)
    finally:
        await transport.close()


async def test_connecting_to_a_broker_that_is_not_there_is_a_clear_error() -> None:
    transport = AmqpTransport("amqp://guest:s3cret@127.0.0.1:1/", timeout=10)
    with pytest.raises(
        TransportError, match=r"cannot connect to RabbitMQ at amqp://guest@"
    ) as info:
        await transport.connect()
    assert "s3cret" not in str(info.value)
