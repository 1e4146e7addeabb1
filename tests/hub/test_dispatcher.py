"""The dispatcher after a crash between sealing and the transport's confirmation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from nodes import Network, add_user, eventually
from sqlalchemy import update

from hub import dispatcher
from hub.dispatcher import IN_FLIGHT_SECONDS
from hub.errors import TransportError
from hub.node import Node
from keys.envelope import MAX_PROTECTED_HEADER_LENGTH
from message_schemas import Attachment, Mail
from storage.models import Envelope


async def sealed_but_unconfirmed(network: Network) -> tuple[Node, Node, str, str]:
    """ge sealed a mail for am and stopped before publishing it."""
    ge, am = await network.add("ge", run=False), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    mail = await ge.submit(Mail(sender="nino@ge", to=["armen@am"], subject="s", body="b"))
    [(_, envelope_id, _)], _ = await ge.dispatcher._seal_batch()
    return ge, am, mail.id, envelope_id


async def arrived_once(am: Node, message_id: str) -> None:
    async def arrived() -> bool:
        return await am.mailbox.folder("armen") != []

    await eventually(arrived)
    assert [i.message.id for i in await am.mailbox.folder("armen")] == [message_id]


async def test_recent_unconfirmed_envelope_is_published_again_byte_for_byte(
    network: Network,
) -> None:
    ge, am, message_id, envelope_id = await sealed_but_unconfirmed(network)
    ge.run()
    await arrived_once(am, message_id)
    async with am.db.transaction() as tx:
        received = await tx.envelopes.get(envelope_id)
    async with ge.db.transaction() as tx:
        assert (await tx.envelopes.get(envelope_id)).raw == received.raw


async def test_stale_unconfirmed_envelope_is_sealed_afresh(network: Network) -> None:
    ge, am, message_id, envelope_id = await sealed_but_unconfirmed(network)
    async with ge.db.transaction() as tx:
        await tx.session.execute(
            update(Envelope)
            .where(Envelope.id == envelope_id)
            .values(created_at=datetime.now(UTC) - timedelta(hours=1))
        )
    ge.run()
    await arrived_once(am, message_id)
    async with am.db.transaction() as tx:
        [received] = [e async for e in tx.envelopes.stream() if e.direction == "in"]
        assert received.id != envelope_id
        assert await tx.quarantine.count() == 0


async def test_another_workers_envelope_awaiting_its_confirm_is_not_published_again(
    network: Network,
) -> None:
    ge, am, message_id, envelope_id = await sealed_but_unconfirmed(network)
    # a second worker of ge (same database, as `icomm serve --workers 2` on PostgreSQL),
    # past the look at its start-up, which takes everything sealed
    worker = await Node(network.settings("ge")).open()
    try:
        worker.dispatcher._look_at_all = False
        assert await worker.dispatcher.flush() == 0  # ge's envelope may be in flight
        async with ge.db.transaction() as tx:  # ge died with it a while ago
            await tx.session.execute(
                update(Envelope)
                .where(Envelope.id == envelope_id)
                .values(created_at=datetime.now(UTC) - timedelta(seconds=IN_FLIGHT_SECONDS + 1))
            )
        worker.dispatcher._recheck_at = 0.0
        assert await worker.dispatcher.flush() == 1
    finally:
        await worker.close()
    await arrived_once(am, message_id)
    async with am.db.transaction() as tx:
        assert await tx.quarantine.count() == 0


async def test_bundles_close_at_the_byte_limit(network: Network) -> None:
    ge, am = await network.add("ge", run=False), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    scan = Attachment.from_bytes("scan.tiff", bytes(2 * 2**20))  # 2.7 MiB as base64 JSON
    for i in range(5):
        await ge.submit(
            Mail(sender="nino@ge", to=["armen@am"], subject=f"{i}", body="", attachments=[scan])
        )
    sealed, _ = await ge.dispatcher._seal_batch()
    async with ge.db.transaction() as tx:
        sizes = [len((await tx.envelopes.get(eid)).message_ids) for _, eid, _ in sealed]
    assert sizes == [2, 2, 1]  # a third 2.7 MiB message would pass the 8 MiB bundle limit


async def test_bundles_close_before_their_header_outgrows_what_receivers_accept(
    network: Network,
) -> None:
    ge = await network.add("ge", run=False, bundle_size=1000)
    am = await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    mails = [Mail(sender="nino@ge", to=["armen@am"], subject=f"{i}", body="") for i in range(1000)]
    await ge.submit_many(mails)
    sealed, _ = await ge.dispatcher._seal_batch()
    headers = [json.loads(raw)["protected"] for _, _, raw in sealed]
    assert len(sealed) == 2  # 1,000 ids would make a header over 64 KiB
    assert all(len(header) < MAX_PROTECTED_HEADER_LENGTH for header in headers)
    await ge.dispatcher.flush()

    async def all_arrived() -> bool:
        return len(await am.mailbox.folder("armen", limit=2000)) == 1000

    await eventually(all_arrived)
    async with am.db.transaction() as tx:
        assert await tx.quarantine.count() == 0


async def three_mails_in_three_envelopes(network: Network) -> tuple[Node, Node, list[str]]:
    """ge seals three mails to am one envelope each, then runs: it publishes them at once."""
    ge, am = await network.add("ge", run=False), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    ids = []
    for i in range(3):
        ids.append(
            (await ge.submit(Mail(sender="nino@ge", to=["armen@am"], subject=f"{i}", body=""))).id
        )
        await ge.dispatcher._seal_batch()
    ge.run()
    return ge, am, ids


async def outgoing(node: Node) -> list[list[str]]:
    async with node.db.reading() as tx:
        return [e.message_ids async for e in tx.envelopes.stream() if e.direction == "out"]


async def test_receipts_of_envelopes_received_together_leave_in_one_envelope(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatcher, "RECEIPT_SECONDS", 2.0)
    ge, am, ids = await three_mails_in_three_envelopes(network)

    async def receipted() -> bool:
        async with ge.db.reading() as tx:
            counts = await tx.deliveries.summary(ids)
        return all(counts.get(i, {}).get("delivered") == 1 for i in ids)

    await eventually(receipted)
    [receipts] = await outgoing(am)  # not one envelope for each envelope received
    assert len(receipts) == 3


async def test_a_waiting_receipt_leaves_with_mail_to_the_same_node(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatcher, "RECEIPT_SECONDS", 60.0)
    _, am, ids = await three_mails_in_three_envelopes(network)
    await arrived_in(am, ids)
    assert await outgoing(am) == []  # the receipts wait
    reply = await am.submit(Mail(sender="armen@am", to=["nino@ge"], subject="thanks", body=""))
    [envelope] = await eventually_one(am)
    assert reply.id in envelope and len(envelope) == 4  # the reply and three receipts


async def arrived_in(am: Node, ids: list[str]) -> None:
    async def arrived() -> bool:
        return len(await am.mailbox.folder("armen")) == len(ids)

    await eventually(arrived)


async def eventually_one(node: Node) -> list[list[str]]:
    async def sealed() -> bool:
        return await outgoing(node) != []

    await eventually(sealed)
    return await outgoing(node)


async def test_a_node_stopping_sends_the_receipts_it_held_back(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatcher, "RECEIPT_SECONDS", 60.0)
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    mail = await ge.submit(Mail(sender="nino@ge", to=["armen@am"], subject="s", body="b"))
    await arrived_in(am, [mail.id])
    assert await outgoing(am) == []  # its receipt waits to leave

    await am.close()  # a graceful stop, long before the receipt's time
    del network.nodes["am"]

    async def receipted() -> bool:
        async with ge.db.reading() as tx:
            return (await tx.deliveries.summary([mail.id])).get(mail.id, {}).get("delivered") == 1

    await eventually(receipted)


Publish = Callable[[str, str, bytes], Awaitable[None]]


async def publishing_through(network: Network, wrap: Callable[[Publish], Publish]) -> Node:
    """ge and am running (nino and armen), ge's publishes going through ``wrap``."""
    ge, _ = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(network.nodes["am"], "armen")
    ge.transport.publish = wrap(ge.transport.publish)  # type: ignore[method-assign]
    return ge


def to_armen(subject: str) -> Mail:
    return Mail(sender="nino@ge", to=["armen@am"], subject=subject, body="")


async def test_mail_queued_while_a_confirm_is_awaited_leaves_without_waiting_for_it(
    network: Network,
) -> None:
    gate, held = asyncio.Event(), asyncio.Event()

    def first_confirm_held(publish: Publish) -> Publish:
        async def held_back(node: str, envelope_id: str, body: bytes) -> None:
            if not held.is_set():  # the first envelope: its confirm is slow in coming
                held.set()
                await gate.wait()
            await publish(node, envelope_id, body)

        return held_back

    ge = await publishing_through(network, first_confirm_held)
    first = await ge.submit(to_armen("1"))
    await held.wait()
    second = await ge.submit(to_armen("2"))
    am = network.nodes["am"]
    await arrived_once(am, second.id)  # sealed and published beside the confirm awaited
    gate.set()
    await arrived_in(am, [second.id, first.id])


async def test_mail_submitted_to_a_running_node_is_sealed_in_the_submit_transaction(
    network: Network,
) -> None:
    published: list[str] = []

    def recorded(publish: Publish) -> Publish:
        async def recording(node: str, envelope_id: str, body: bytes) -> None:
            published.append(envelope_id)
            await publish(node, envelope_id, body)

        return recording

    ge = await publishing_through(network, recorded)
    mail = await ge.submit(to_armen("s"))
    await asyncio.sleep(0)  # one turn of the event loop: the publish has begun
    assert len(published) == 1  # no turn of the dispatcher's was needed to seal it
    async with ge.db.reading() as tx:
        assert await tx.outbox.pending(limit=10) == []
    await arrived_once(network.nodes["am"], mail.id)


async def test_mail_sealed_as_submitted_whose_publish_fails_is_published_again(
    network: Network,
) -> None:
    failed: list[str] = []

    def broker_away_once(publish: Publish) -> Publish:
        async def failing_once(node: str, envelope_id: str, body: bytes) -> None:
            if not failed:
                failed.append(envelope_id)
                raise TransportError("the broker is away")
            await publish(node, envelope_id, body)

        return failing_once

    ge = await publishing_through(network, broker_away_once)
    mail = await ge.submit(to_armen("s"))
    await arrived_once(network.nodes["am"], mail.id)  # the dispatcher published it again
    assert len(failed) == 1
