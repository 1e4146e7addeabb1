"""Two nodes on two brokers, linked by RabbitMQ's own shovel (no relay of ours).

Each node has its broker: here two virtual hosts of the local RabbitMQ, which the
shovel treats exactly as two brokers (it connects by URI). ge's hub publishes what it
sends to am into ``<prefix>.am.in`` on *its own* broker; a shovel there moves that
queue to am's broker, exchange ``<prefix>``, routing key ``am``. am's receipts come
back the same way by a second shovel. The procedure is the README's ("Linking nodes
through RabbitMQ"): the hub declares the outgoing queue with its first message to the
partner, and the shovel is set after that (a shovel set first would declare the queue
itself, as a classic queue the hub then refuses).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from yarl import URL

from hub.accounts import Role
from hub.config import Settings
from hub.node import Node
from hub.transports.amqp import AmqpTransport
from message_schemas import Mail

BROKER = URL(os.environ.get("ICOMM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
PASSWORD = "correct horse battery staple"


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.fixture(scope="module")
def shovel_plugin() -> None:
    """The shovel plugin, enabled on the local broker (idempotent), or a clear skip."""
    if shutil.which("rabbitmqctl") is None or shutil.which("rabbitmq-plugins") is None:
        pytest.skip("rabbitmqctl is not installed: no local RabbitMQ to shovel between")
    if rabbitmqctl("status").returncode != 0:
        pytest.skip("the local RabbitMQ is not running (rabbitmqctl status failed)")
    enabled = subprocess.run(
        ["rabbitmq-plugins", "enable", "rabbitmq_shovel"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if enabled.returncode != 0:
        pytest.skip(f"cannot enable rabbitmq_shovel: {enabled.stderr.strip() or enabled.stdout}")


@dataclass
class Broker:
    """One node's broker: a virtual host of the local RabbitMQ."""

    vhost: str

    @property
    def url(self) -> str:
        return str(BROKER.with_path("/" + self.vhost, encoded=False))

    def shovel(self, name: str, queue: str, to: Broker, exchange: str, key: str) -> None:
        definition = {
            "src-uri": self.url,
            "src-queue": queue,
            "dest-uri": to.url,
            "dest-exchange": exchange,
            "dest-exchange-key": key,
            "ack-mode": "on-confirm",
        }
        done = rabbitmqctl(
            "set_parameter", "-p", self.vhost, "shovel", name, json.dumps(definition)
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture
def brokers(shovel_plugin: None) -> Iterator[tuple[Broker, Broker]]:
    tag = uuid.uuid4().hex[:8]
    made = [Broker(f"icomm-test-{tag}-ge"), Broker(f"icomm-test-{tag}-am")]
    try:
        for broker in made:
            added = rabbitmqctl("add_vhost", broker.vhost)
            assert added.returncode == 0, added.stderr
            user = BROKER.user or "guest"
            granted = rabbitmqctl("set_permissions", "-p", broker.vhost, user, ".*", ".*", ".*")
            assert granted.returncode == 0, granted.stderr
        yield made[0], made[1]
    finally:
        for broker in made:  # its shovels, queues and exchanges go with it
            rabbitmqctl("delete_vhost", broker.vhost)


@contextlib.asynccontextmanager
async def node(root: Path, node_id: str, broker: Broker, prefix: str) -> AsyncIterator[Node]:
    settings = Settings(node=node_id, data_dir=root / node_id, amqp_url=broker.url,
                        amqp_prefix=prefix)  # fmt: skip
    transport = AmqpTransport(broker.url, prefix=prefix)
    async with Node(settings, transport=transport) as opened:
        yield opened


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


async def test_a_mail_crosses_brokers_by_shovel_and_its_receipt_returns(
    tmp_path: Path, brokers: tuple[Broker, Broker]
) -> None:
    ge_broker, am_broker = brokers
    prefix = f"t{uuid.uuid4().hex[:10]}"
    async with (
        node(tmp_path, "ge", ge_broker, prefix) as ge,
        node(tmp_path, "am", am_broker, prefix) as am,
    ):
        ge.trust.import_jwks("am", am.keyring.public_jwks())
        am.trust.import_jwks("ge", ge.keyring.public_jwks())
        await ge.accounts.add("nino", Role.OFFICER, PASSWORD)
        await am.accounts.add("armen", Role.OFFICER, PASSWORD)
        am.run()  # consumes <prefix>.am.in on am's broker
        ge.run()

        sent = await ge.submit(
            Mail(sender="nino@ge", to=["armen@am"], subject="Sarpi seizure", body="Details.")
        )

        async def waits_at_ge() -> bool:  # on ge's broker: nothing carries it further yet
            return await ge.transport.depth("am") == 1

        await until(waits_at_ge, "ge's hub queued the envelope on its own broker")
        ge_broker.shovel(f"{prefix}-to-am", f"{prefix}.am.in", am_broker, prefix, "am")

        async def arrived() -> bool:
            return [i.message.id for i in await am.mailbox.folder("armen")] == [sent.id]

        await until(arrived, "the mail reached am through the shovel")

        async def receipt_waits_at_am() -> bool:
            return await am.transport.depth("ge") >= 1

        await until(receipt_waits_at_am, "am's receipt queued on am's broker")
        am_broker.shovel(f"{prefix}-to-ge", f"{prefix}.ge.in", ge_broker, prefix, "ge")

        async def receipt_back() -> bool:
            return [d.status for d in await ge.mailbox.deliveries(sent.id)] == ["delivered"]

        await until(receipt_back, "the receipt came back to ge through the second shovel")
        opened = await am.mailbox.open("armen", sent.id)
        assert opened.message.subject == "Sarpi seizure"  # type: ignore[union-attr]
        assert await ge.transport.depth("am") == 0 and await am.transport.depth("ge") == 0
