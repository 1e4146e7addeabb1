"""The test broker: whether it answers, and a prefix of a test's own, cleaned up after.

``ICOMM_TEST_AMQP_URL`` names it (default ``amqp://guest:guest@127.0.0.1:5672/``); a
test that needs it is skipped, with the reason, when it does not answer.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest

TEST_AMQP_URL = os.environ.get("ICOMM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
NODES = ("am", "ge", "ua", "wco")  # every node id the tests use


async def broker_reachable(url: str = TEST_AMQP_URL) -> bool:
    try:
        connection = await aio_pika.connect(url, timeout=5)
    except Exception:
        return False
    await connection.close()
    return True


async def delete_topology(prefix: str, url: str = TEST_AMQP_URL) -> None:
    """Delete a prefix's queues and exchanges, each on a channel of its own (deleting a
    missing one may close the channel)."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        queues = [f"{prefix}.{node}.{kind}" for node in NODES for kind in ("in", "dead")]
        for queue in queues:
            with contextlib.suppress(Exception):
                async with connection.channel() as channel:
                    await channel.queue_delete(queue)
        for exchange in (prefix, f"{prefix}.dlx"):
            with contextlib.suppress(Exception):
                async with connection.channel() as channel:
                    await channel.exchange_delete(exchange)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def amqp_prefix(url: str = TEST_AMQP_URL) -> AsyncIterator[str]:
    """A fresh prefix on the test broker, its topology deleted afterwards."""
    if not await broker_reachable(url):
        pytest.skip(f"no RabbitMQ broker at {url} (ICOMM_TEST_AMQP_URL)")
    prefix = f"t{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        await delete_topology(prefix, url)
