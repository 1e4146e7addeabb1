"""Two nodes exchanging mail over RabbitMQ, configured the way an operator would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from broker import TEST_AMQP_URL, amqp_prefix
from nodes import add_user, eventually

from hub.config import Settings
from hub.node import Node, make_transport
from hub.transports import AmqpTransport
from message_schemas import Mail


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    async with amqp_prefix() as name:
        yield name


def settings(root: Path, node: str, prefix: str) -> Settings:
    return Settings(
        node=node,
        data_dir=root / node,
        amqp_url=TEST_AMQP_URL,  # type: ignore[arg-type]
        amqp_prefix=prefix,
    )


def test_an_amqp_url_in_the_settings_selects_the_amqp_transport(tmp_path: Path) -> None:
    transport = make_transport(settings(tmp_path, "ge", "training"))
    assert isinstance(transport, AmqpTransport)
    assert transport.prefix == "training"


async def test_mail_crosses_rabbitmq_and_its_receipt_comes_back(
    tmp_path: Path, prefix: str
) -> None:
    ge = await Node(settings(tmp_path, "ge", prefix)).open()
    am = await Node(settings(tmp_path, "am", prefix)).open()
    try:
        ge.trust.import_jwks("am", am.keyring.public_jwks())
        am.trust.import_jwks("ge", ge.keyring.public_jwks())
        ge.run()
        am.run()
        await add_user(ge, "nino")
        await add_user(am, "armen")
        sent = await ge.submit(Mail(sender="nino@ge", to=["armen@am"], subject="Seizure", body="b"))

        async def arrived() -> bool:
            return bool(await am.mailbox.folder("armen"))

        await eventually(arrived)
        [item] = await am.mailbox.folder("armen")
        assert item.message.id == sent.id

        async def receipted() -> bool:
            return [d.status for d in await ge.mailbox.deliveries(sent.id)] == ["delivered"]

        await eventually(receipted)
        assert await ge.transport.depth("am") == 0
        assert await ge.transport.dead_letters("am") == []
    finally:
        await am.close()
        await ge.close()
