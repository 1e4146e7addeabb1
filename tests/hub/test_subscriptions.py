"""Adapters receive the messages of their address through a subscription."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from nodes import Network, add_user, eventually

from hub.errors import HubError, Reason
from hub.mailbox import ARRIVED_BYTES
from hub.node import Node
from hub.router import stored_form
from hub.subscriptions import Subscription
from message_schemas import Alert, Mail, Message
from storage import NotFound, Store


class Collector:
    """Takes what a subscription hands over; fails the first ``failures`` batches."""

    def __init__(self, failures: int = 0) -> None:
        self.taken: list[Message] = []
        self.batches: list[int] = []
        self.failures = failures

    async def __call__(self, messages: Sequence[Message]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the case store is busy")
        self.batches.append(len(messages))
        self.taken += messages

    @property
    def subjects(self) -> list[str]:
        return [m.subject for m in self.taken if isinstance(m, Mail | Alert)]


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


def alert(n: int, to: tuple[str, ...] = ("cases@ge", "nino@ge")) -> Alert:
    return Alert(
        sender="armen@am",
        to=list(to),
        subject=f"profile hit {n}",
        severity="high",
        profile="tobacco-route",
        body="a truck on the watched route",
    )


async def test_remote_messages_are_handed_over_as_parsed_on_arrival_and_again_from_their_rows(
    network: Network,
) -> None:
    """What arrives for a subscribed mailbox is kept as parsed for the handler (only that
    mailbox's); a batch the handler refused comes again, read from the rows: equal."""
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    alerts = Collector(failures=1)
    await ge.subscribe("cases", alerts)
    parsed = {}
    kept = ge.mailbox.arrived

    def spy(messages: Iterable[tuple[Message, int]]) -> None:
        messages = list(messages)
        parsed.update((m.id, m) for m, _ in messages)
        kept(messages)

    ge.mailbox.arrived = spy  # type: ignore[method-assign]
    personal = await am.submit(alert(9, to=("nino@ge",)))
    sent = [await am.submit(alert(n)) for n in range(3)]

    async def taken() -> bool:
        return len(alerts.taken) == 3

    await eventually(taken)
    assert personal.id not in parsed  # only what a subscribed mailbox will take is kept
    assert sorted(parsed) == sorted(m.id for m in sent)
    assert alerts.subjects == ["profile hit 0", "profile hit 1", "profile hit 2"]
    assert alerts.taken == [parsed[m.id] for m in sent]
    # the refused batch comes again equal; read from its row, or, when a drain poked by an
    # earlier arrival read the rows in the moment between this envelope's commit and its
    # arrival signal (on PostgreSQL the session's release awaits), as kept on arrival
    assert ge.mailbox._arrived == {}  # nothing left behind


async def test_messages_kept_from_arrival_are_handed_over_once_and_bounded(
    network: Network,
) -> None:
    ge = await network.add("ge", run=False)
    stored = []
    async with ge.db.transaction() as tx:
        for n in range(3):
            message = alert(n)
            await tx.mailbox.add_message(stored_form(message, "remote"))
            stored.append((message, await tx.mailbox.get(message.id)))
    first, second, third = stored
    ge.mailbox.arrived([(first[0], ARRIVED_BYTES // 2), (second[0], ARRIVED_BYTES // 2)])
    ge.mailbox.arrived([(third[0], 1)])  # over the budget: the oldest is let go
    assert await ge.mailbox.restore(first[1]) is not first[0]  # parsed from its row
    assert await ge.mailbox.restore(first[1]) == first[0]
    assert await ge.mailbox.restore(second[1]) is second[0]
    assert await ge.mailbox.restore(third[1]) is third[0]
    assert await ge.mailbox.restore(third[1]) is not third[0]  # handed over once
    ge.mailbox.arrived([(mail("armen@am", "with attachments"), 10)])
    assert ge.mailbox._arrived == {}  # mail is restored with its blobs, never kept


async def test_unread_messages_come_oldest_first_those_kept_as_parsed_on_arrival(
    network: Network,
) -> None:
    ge = await network.add("ge", run=False)
    sent = [alert(n) for n in range(3)]
    async with ge.db.transaction() as tx:
        for message in sent:
            await tx.mailbox.add_message(stored_form(message, "remote"))
        await tx.mailbox.file_many([(m.id, "cases", "inbox") for m in sent])
    ge.mailbox.arrived([(sent[1], 10)])
    first = await ge.mailbox.unread("cases", 2)
    assert first == sent[:2]
    assert first[1] is sent[1] and first[0] is not sent[0]  # kept; read from its row
    assert ge.mailbox._arrived == {}
    assert await ge.mailbox.unread("cases", 2) == sent[:2]  # not read yet: again, from rows
    await ge.mailbox.mark_read("cases", *(m.id for m in first))
    assert await ge.mailbox.unread("cases", 10) == [sent[2]]


class Taker:
    """Takes what a node hands over in the receiving transaction, but alerts of a low
    severity; its first ``failures`` calls write a mark through that transaction, then
    raise."""

    def __init__(self, failures: int = 0) -> None:
        self.taken: list[Message] = []
        self.failures = failures
        self.calls = 0

    async def __call__(self, messages: Sequence[Message], tx: Store) -> dict[str, str]:
        if self.failures:
            self.failures -= 1
            await tx.joined(Store).users.add("rolled-back", "service", None, "a failed take")
            raise RuntimeError("the feed is busy")
        await tx.joined(Store).users.add(f"took-{self.calls}", "service", None, "a take")
        self.calls += 1
        low = {m.id: "low severity" for m in messages if getattr(m, "severity", "") == "low"}
        self.taken += [m for m in messages if m.id not in low]
        return low


async def handing_over(network: Network, taker: Taker) -> tuple[Node, Node]:
    """``ge`` (nino's node) handing what arrives for cases@ge to ``taker``; ``am`` (armen's)."""
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    await ge.hand_over("cases", taker)
    return ge, am


async def test_messages_from_other_nodes_are_handed_over_in_the_transaction_that_receives_them(
    network: Network,
) -> None:
    taker = Taker()
    ge, am = await handing_over(network, taker)
    alone = await am.submit(alert(1, to=("cases@ge",)))
    shared = await am.submit(alert(2))  # also to nino@ge

    async def receipted() -> bool:
        statuses = [d.status for m in (alone, shared) for d in await am.mailbox.deliveries(m.id)]
        return statuses == ["delivered"] * 3

    await eventually(receipted)
    assert [m.id for m in taker.taken] == [alone.id, shared.id]
    assert await ge.mailbox.folder("cases") == []  # handed over, not filed
    assert [i.message.id for i in await ge.mailbox.folder("nino")] == [shared.id]
    async with ge.db.reading() as tx:
        assert await tx.users.find("took-0") is not None  # the taker's writes committed
        assert await tx.mailbox.get(shared.id)  # stored for nino
        with pytest.raises(NotFound):
            await tx.mailbox.get(alone.id)  # only handed over: the adapter keeps it


async def test_a_failing_take_rolls_the_envelope_back_and_it_comes_again_once(
    network: Network,
) -> None:
    taker = Taker(failures=1)
    ge, am = await handing_over(network, taker)
    sent = await am.submit(alert(1, to=("cases@ge",)))

    async def taken() -> bool:
        return [m.id for m in taker.taken] == [sent.id]

    await eventually(taken)

    async def receipted() -> bool:
        return [d.status for d in await am.mailbox.deliveries(sent.id)] == ["delivered"]

    await eventually(receipted)
    async with ge.db.reading() as tx:
        assert await tx.users.find("rolled-back") is None  # the failed take wrote nothing
        assert await tx.seen.get(sent.id) is not None  # received once, on the second try
    assert await ge.transport.dead_letters("ge") == []


async def test_a_message_the_handler_refuses_is_quarantined_and_its_sender_told_why(
    network: Network,
) -> None:
    taker = Taker()
    ge, am = await handing_over(network, taker)
    low = await am.submit(alert(1).model_copy(update={"severity": "low"}))  # and nino@ge
    taken = await am.submit(alert(2, to=("cases@ge",)))

    async def receipted() -> bool:
        deliveries = [d for m in (low, taken) for d in await am.mailbox.deliveries(m.id)]
        return all(d.status != "pending" for d in deliveries) and len(deliveries) == 3

    await eventually(receipted)
    results = {(d.address, d.status) for d in await am.mailbox.deliveries(low.id)}
    assert results == {("cases@ge", "failed"), ("nino@ge", "delivered")}
    [failed] = [d for d in await am.mailbox.deliveries(low.id) if d.status == "failed"]
    assert failed.reason == "low severity"
    assert [m.id for m in taker.taken] == [taken.id]
    assert [i.message.id for i in await ge.mailbox.folder("nino")] == [low.id]
    async with ge.db.reading() as tx:
        [kept] = await tx.quarantine.list()
    assert kept.reason == Reason.REFUSED and kept.message_id == low.id
    assert "cases@ge refused it: low severity" in kept.detail
