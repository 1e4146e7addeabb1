"""How the amqp transport counts attempts and dead-letters, on a real RabbitMQ.

The broker counts the deliveries of a message in a quorum queue (``x-delivery-count``);
the consumer records the handler's error when the last attempt fails; when a consumer
never gets to say (it keeps stopping mid-handler), the broker's delivery limit moves the
message to the dead letters by itself.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path

import pytest
from broker import TEST_AMQP_URL, amqp_prefix, broker_reachable, delete_topology
from nodes import eventually
from test_transport_contract import Recorder, consuming
from typer.testing import CliRunner

from hub.cli import app
from hub.config import load_settings
from hub.node import make_transport
from hub.transports.amqp import AmqpTransport
from hub.transports.base import Delivery

MAX_ATTEMPTS = 3


@pytest.fixture
async def transport() -> AsyncIterator[AmqpTransport]:
    async with amqp_prefix() as prefix:
        transport = AmqpTransport(
            TEST_AMQP_URL, prefix=prefix, max_attempts=MAX_ATTEMPTS, retry_delay=0.05
        )
        await transport.connect()
        try:
            yield transport
        finally:
            await transport.close()


async def test_poison_envelope_is_dead_lettered_with_its_error_and_comes_back_on_retry(
    transport: AmqpTransport,
) -> None:
    poison = uuid.uuid4().hex
    recorder = Recorder(failing={poison})
    await transport.publish("ge", poison, b"poison")
    async with consuming(transport, "ge", recorder):

        async def dead_lettered() -> bool:
            return len(await transport.dead_letters("ge")) == 1

        await eventually(dead_lettered)
        assert recorder.attempts(poison) == [1, 2, 3]

        # listing does not take them away
        [letter] = await transport.dead_letters("ge")
        assert await transport.dead_letters("ge") == [letter]
        assert letter.id == poison
        assert letter.error == f"RuntimeError: cannot store {poison} (after 3 attempts)"
        assert letter.failed_at.tzinfo is not None

        recorder.failing.clear()
        await transport.retry_dead_letter("ge", letter.id)

        async def handled_again() -> bool:
            return recorder.attempts(poison) == [1, 2, 3, 1]

        await eventually(handled_again)
    assert await transport.dead_letters("ge") == []
    assert await transport.depth("ge") == 0


async def test_envelope_whose_consumer_keeps_stopping_is_dead_lettered_by_the_broker(
    transport: AmqpTransport,
) -> None:
    """Every delivery a consumer does not settle counts as an attempt (RabbitMQ 3.10)."""
    envelope_id = uuid.uuid4().hex
    await transport.publish("ge", envelope_id, b"kills its consumer")
    attempts: list[int] = []
    for _ in range(MAX_ATTEMPTS):
        started = asyncio.Event()

        async def never_finishes(delivery: Delivery, started: asyncio.Event = started) -> None:
            attempts.append(delivery.attempt)
            started.set()
            await asyncio.Event().wait()

        async with consuming(transport, "ge", never_finishes):
            await asyncio.wait_for(started.wait(), 30)

    async def dead_lettered() -> bool:
        return len(await transport.dead_letters("ge")) == 1

    await eventually(dead_lettered)
    assert attempts == [1, 2, 3]
    [letter] = await transport.dead_letters("ge")
    assert letter.id == envelope_id
    assert letter.body == b"kills its consumer"
    assert letter.error == "delivery limit reached after 3 attempts (no error recorded)"
    assert await transport.depth("ge") == 0


async def test_concurrent_publishes_are_each_confirmed(transport: AmqpTransport) -> None:
    published = [uuid.uuid4().hex for _ in range(200)]
    await asyncio.gather(*(transport.publish("ge", i, i.encode()) for i in published))
    assert await transport.depth("ge") == len(published)

    recorder = Recorder()
    async with consuming(transport, "ge", recorder):

        async def all_handled() -> bool:
            return len(recorder.deliveries) == len(published)

        await eventually(all_handled)
    assert sorted(recorder.ids()) == sorted(published)
    assert all(d.queued_at is not None and d.queued_at.tzinfo == UTC for d in recorder.deliveries)
    assert await transport.depth("ge") == 0


@pytest.mark.usefixtures("clean_env")
def test_poison_on_the_broker_stops_looping_and_shows_in_icomm_status(tmp_path: Path) -> None:
    """One that always fails to store: dead-lettered after the limit, flagged by status."""
    if not asyncio.run(broker_reachable()):
        pytest.skip(f"no RabbitMQ broker at {TEST_AMQP_URL}")
    prefix = f"t{uuid.uuid4().hex[:12]}"
    env = {
        "ICOMM_NODE": "ge",
        "ICOMM_DATA_DIR": str(tmp_path / "ge"),
        "ICOMM_AMQP_URL": TEST_AMQP_URL,
        "ICOMM_AMQP_PREFIX": prefix,
    }

    async def poison() -> int:
        # the node's own settings: the queue is declared as `icomm serve` declares it
        transport = make_transport(
            load_settings(
                data_dir=tmp_path / "ge",
                **{"node": "ge", "amqp_url": TEST_AMQP_URL, "amqp_prefix": prefix},
            )
        )
        await transport.connect()
        attempts = 0

        async def cannot_store(delivery: Delivery) -> None:
            nonlocal attempts
            attempts += 1
            raise RuntimeError("cannot store: disk full")

        try:
            await transport.publish("ge", uuid.uuid4().hex, b"poison")
            async with consuming(transport, "ge", cannot_store):

                async def dead() -> bool:
                    return len(await transport.dead_letters("ge")) == 1

                await eventually(dead, within=60)
            return attempts
        finally:
            await transport.close()

    try:
        attempts = asyncio.run(poison())
        assert attempts == 5  # the node's default limit, then no more
        result = CliRunner().invoke(app, ["status", "--json"], env=env)
        assert result.exit_code == 3, result.output
        status = json.loads(result.stdout)
        assert status["transport"] == "amqp" and status["dead_letters"] == 1
        assert any("dead letter" in line for line in status["attention"])
        listing = CliRunner().invoke(app, ["dead-letters", "list"], env=env)
        assert listing.exit_code == 0 and "cannot store: disk full" in listing.stdout
    finally:
        asyncio.run(delete_topology(prefix))
