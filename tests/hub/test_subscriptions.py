"""Adapters receive the messages of their address through a subscription."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from nodes import Network, add_user, eventually

from hub.errors import HubError
from hub.node import Node
from hub.subscriptions import Subscription
from message_schemas import Mail, Message


class Collector:
    def __init__(self, failures: int = 0) -> None:
        self.subjects: list[str] = []
        self.batches: list[int] = []
        self.failures = failures

    async def __call__(self, messages: Sequence[Message]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the case store is busy")
        self.batches.append(len(messages))
        for message in messages:
            assert isinstance(message, Mail)
            self.subjects.append(message.subject)


def mail(sender: str, subject: str) -> Mail:
    return Mail(sender=sender, to=["cases@ge"], subject=subject, body="b")


async def test_local_and_remote_messages_reach_the_subscriber_once_in_order(
    network: Network,
) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    collector = Collector()
    await ge.subscribe("cases", collector)
    await ge.submit(mail("nino@ge", "first"))
    sent = await am.submit(mail("armen@am", "second"))

    async def both() -> bool:
        return len(collector.subjects) == 2

    await eventually(both)
    assert collector.subjects == ["first", "second"]

    async def receipted() -> bool:
        return [d.status for d in await am.mailbox.deliveries(sent.id)] == ["delivered"]

    await eventually(receipted)
    assert await ge.mailbox.folder("cases", unread_only=True) == []
    assert collector.subjects == ["first", "second"]


async def test_a_failing_handler_gets_the_message_again_and_nothing_jumps_the_queue(
    network: Network,
) -> None:
    ge = await network.add("ge", run=False)
    await add_user(ge, "nino")
    collector = Collector(failures=2)
    subscription = Subscription("cases", collector, ge.mailbox, retry_seconds=0.05)
    await ge.subscribe("cases", collector)
    await ge.submit(mail("nino@ge", "first"))
    await ge.submit(mail("nino@ge", "second"))
    assert await subscription.drain() is True  # failed: retried later
    assert await subscription.drain() is True
    assert collector.subjects == []
    assert await subscription.drain() is False
    assert collector.subjects == ["first", "second"]


async def test_a_subscriber_gets_batches_of_the_size_it_asked_for(network: Network) -> None:
    ge = await network.add("ge", run=False)
    await add_user(ge, "nino")
    collector = Collector()
    await ge.subscribe("cases", collector, batch=3)
    await ge.submit_many([mail("nino@ge", f"report {n}") for n in range(7)])
    ge.run()

    async def taken() -> bool:
        return len(collector.subjects) == 7

    await eventually(taken)
    assert collector.batches == [3, 3, 1]
    assert collector.subjects == [f"report {n}" for n in range(7)]


async def test_messages_not_yet_taken_survive_a_restart(network: Network) -> None:
    ge = await network.add("ge", run=False)
    await add_user(ge, "nino")
    await ge.subscribe("cases", Collector(failures=1000))
    await ge.submit(mail("nino@ge", "waiting"))
    await ge.close()
    del network.nodes["ge"]

    again = await Node(network.settings("ge")).open()
    try:
        collector = Collector()
        await again.subscribe("cases", collector)
        again.run()

        async def taken() -> bool:
            return collector.subjects == ["waiting"]

        await eventually(taken)
    finally:
        await again.close()


async def test_a_persons_mailbox_cannot_be_subscribed(network: Network) -> None:
    ge = await network.add("ge", run=False)
    await add_user(ge, "nino")
    with pytest.raises(HubError, match="a person's mailbox"):
        await ge.subscribe("nino", Collector())
