"""Delivery between nodes and inside one node: exactly once, with receipts and notices."""

from __future__ import annotations

import asyncio
import gc

import pytest
from nodes import Backend, Network, add_user, eventually, writing_elsewhere
from sqlalchemy import event, select

from hub.errors import AddressError, HubError, PermissionDenied
from hub.node import GC_THRESHOLDS
from keys.signatures import POOLED_FROM
from message_schemas import Attachment, Mail, parse_message
from storage.models import OutboxItem

PHOTO = bytes(range(256)) * 300  # 76.8 kB, larger than a JOSE library's default cap


def mail(sender: str, *to: str, **fields: object) -> Mail:
    return Mail(
        sender=sender, to=list(to), subject=fields.pop("subject", "Seizure"), body="b", **fields
    )


async def test_mail_with_attachment_reaches_remote_inbox_and_receipt_returns(
    network: Network,
) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    sent = await ge.submit(
        mail("nino@ge", "armen@am", attachments=[Attachment.from_bytes("photo.bin", PHOTO)])
    )

    async def arrived() -> bool:
        return bool(await am.mailbox.folder("armen"))

    await eventually(arrived)
    opened = await am.mailbox.open("armen", sent.id)
    assert isinstance(opened.message, Mail)
    assert opened.message.attachments[0].content == PHOTO
    assert opened.origin == "remote"

    async def receipted() -> bool:
        return [d.status for d in await ge.mailbox.deliveries(sent.id)] == ["delivered"]

    await eventually(receipted)
    [delivery] = await ge.mailbox.deliveries(sent.id)
    assert delivery.receipt_id is not None and len(delivery.digest or "") == 64
    assert [i.message.id for i in await ge.mailbox.folder("nino", "sent")] == [sent.id]


async def test_local_mail_and_group_delivery_skip_the_transport(network: Network) -> None:
    ge = await network.add("ge")
    for name in ("nino", "giorgi", "tamar"):
        await add_user(ge, name)
    async with ge.db.transaction() as tx:
        await tx.users.add_group("analysts")
        await tx.users.add_member("analysts", "giorgi")
        await tx.users.add_member("analysts", "tamar")
    sent = await ge.submit(mail("nino@ge", "analysts@ge"))
    for owner in ("giorgi", "tamar"):
        assert [i.message.id for i in await ge.mailbox.folder(owner)] == [sent.id]
    assert [d.status for d in await ge.mailbox.deliveries(sent.id)] == ["delivered"]
    async with ge.db.transaction() as tx:
        assert await tx.outbox.backlog() == {}


async def test_mail_to_deactivated_local_user_returns_non_delivery_notice(network: Network) -> None:
    ge = await network.add("ge")
    await add_user(ge, "nino")
    await add_user(ge, "levan")
    await ge.accounts.deactivate("levan")
    sent = await ge.submit(mail("nino@ge", "levan@ge", subject="Border report"))
    [delivery] = await ge.mailbox.deliveries(sent.id)
    assert delivery.status == "failed" and "deactivated" in (delivery.reason or "")
    assert await ge.mailbox.folder("levan") == []
    [notice] = await ge.mailbox.folder("nino")
    assert notice.message.subject == "Undeliverable: Border report"
    assert notice.message.sender == "postmaster@ge"


async def test_mail_to_deactivated_remote_user_comes_back_as_notice(network: Network) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    await add_user(am, "ani")
    await am.accounts.deactivate("armen")
    sent = await ge.submit(mail("nino@ge", "armen@am", "ani@am", "nobody@am"))

    async def all_answered() -> bool:
        return all(d.status != "pending" for d in await ge.mailbox.deliveries(sent.id))

    await eventually(all_answered)
    outcome = {d.address: (d.status, d.reason) for d in await ge.mailbox.deliveries(sent.id)}
    assert outcome["ani@am"] == ("delivered", None)
    assert outcome["armen@am"] == ("failed", "the recipient's account is deactivated")
    assert outcome["nobody@am"] == ("failed", "no such recipient at this node")
    [notice] = await ge.mailbox.folder("nino")
    opened = await ge.mailbox.open("nino", notice.message.id)
    assert isinstance(opened.message, Mail)
    assert "armen@am" in opened.message.body and "nobody@am" in opened.message.body
    assert "ani@am" not in opened.message.body
    assert await am.mailbox.folder("armen") == []


async def test_deactivated_user_cannot_send(network: Network) -> None:
    ge = await network.add("ge")
    await add_user(ge, "nino")
    await ge.accounts.deactivate("nino")
    with pytest.raises(PermissionDenied, match="deactivated"):
        await ge.submit(mail("nino@ge", "someone@am"))


async def test_mail_to_a_node_that_is_no_partner_is_refused_at_once(network: Network) -> None:
    ge = await network.add("ge")
    await add_user(ge, "nino")
    with pytest.raises(AddressError, match="no partner node 'ua' in the trust store"):
        await ge.submit(mail("nino@ge", "olena@ua"))
    assert await ge.mailbox.folder("nino", "sent") == []


async def test_message_over_the_size_limit_is_refused_with_the_limit(network: Network) -> None:
    ge = await network.add("ge", max_message_bytes=2**16)
    await add_user(ge, "nino")
    big = Attachment.from_bytes("scan.pdf", b"%" * 2**16)
    with pytest.raises(HubError, match=r"limit is 0.1 MiB \(ICOMM_MAX_MESSAGE_BYTES\)"):
        await ge.submit(mail("nino@ge", "levan@ge", attachments=[big]))


async def test_unknown_sender_and_foreign_sender_are_refused(network: Network) -> None:
    ge = await network.add("ge")
    with pytest.raises(AddressError, match="no user 'ghost'"):
        await ge.submit(mail("ghost@ge", "someone@am"))
    with pytest.raises(PermissionDenied, match="not an address of this node"):
        await ge.submit(mail("armen@am", "someone@ge"))


async def test_bundle_of_many_messages_each_delivered_once(network: Network) -> None:
    ge = await network.add("ge", run=False, bundle_size=16)
    am = await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    ids = {(await ge.submit(mail("nino@ge", "armen@am", subject=f"m{i}"))).id for i in range(40)}
    ge.run()

    async def all_arrived() -> bool:
        return len(await am.mailbox.folder("armen", limit=100)) == 40

    await eventually(all_arrived)
    assert {i.message.id for i in await am.mailbox.folder("armen", limit=100)} == ids
    async with am.db.transaction() as tx:
        envelopes = [e async for e in tx.envelopes.stream() if e.direction == "in"]
    assert sorted(len(e.message_ids) for e in envelopes) == [8, 16, 16]


async def test_submit_many_stores_all_or_nothing(network: Network) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    with pytest.raises(AddressError, match="no partner node 'ua'"):
        await ge.submit_many([mail("nino@ge", "armen@am"), mail("nino@ge", "olena@ua")])
    assert await ge.mailbox.folder("nino", "sent") == []
    sent = await ge.submit_many([mail("nino@ge", "armen@am", subject=f"s{i}") for i in range(3)])

    async def arrived() -> bool:
        return len(await am.mailbox.folder("armen")) == 3

    await eventually(arrived)
    assert {i.message.id for i in await am.mailbox.folder("armen")} == {m.id for m in sent}


async def test_submitting_a_message_id_again_sends_nothing_twice(network: Network) -> None:
    ge, am = await network.add("ge", run=False), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    first = mail("nino@ge", "armen@am", subject="once")
    await ge.submit(first)
    await ge.submit_many([first, mail("nino@ge", "armen@am", subject="new")])
    async with ge.db.transaction() as tx:
        assert len(await tx.outbox.pending(limit=10)) == 2
    ge.run()

    async def arrived() -> bool:
        return len(await am.mailbox.folder("armen")) == 2

    await eventually(arrived)


async def test_concurrent_submits_share_transactions_and_each_gets_its_own_answer(
    network: Network,
) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    for name in ("nino", "levan"):
        await add_user(ge, name)
    await add_user(am, "armen")
    await ge.accounts.deactivate("levan")
    commits = []
    event.listen(ge.db.engine.sync_engine, "commit", lambda _conn: commits.append(1))

    good = [mail("nino@ge", "armen@am", subject=f"g{i}") for i in range(60)]
    answers = await asyncio.gather(
        *(ge.submit(m) for m in good[:30]),
        ge.submit(mail("levan@ge", "armen@am")),
        ge.submit(mail("nino@ge", "olena@ua")),
        *(ge.submit(m) for m in good[30:]),
        return_exceptions=True,
    )

    refused = [a for a in answers if isinstance(a, Exception)]
    assert [type(e) for e in refused] == [PermissionDenied, AddressError]
    assert "deactivated" in str(refused[0]) and "'ua'" in str(refused[1])
    assert {a.id for a in answers if not isinstance(a, Exception)} == {m.id for m in good}
    # 62 submits grouped: a few transactions (more to find whose was refused), not 62
    assert len(commits) < 8

    async def arrived() -> bool:
        return len(await am.mailbox.folder("armen", limit=100)) == 60

    await eventually(arrived)


async def test_submits_made_while_another_transaction_writes_are_written_together(
    network: Network, backend: Backend
) -> None:
    if backend.database != "sqlite":
        pytest.skip("PostgreSQL's transactions do not wait for one another's turn")
    ge = await network.add("ge", run=False)
    await add_user(ge, "nino")
    commits = []
    event.listen(ge.db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    async with writing_elsewhere(ge):
        submits = []
        for _ in range(5):  # one by one, each waiting for its turn
            submits.append(asyncio.create_task(ge.submit(mail("nino@ge", "nino@ge"))))
            await asyncio.sleep(0.01)
        assert not any(task.done() for task in submits)
    await asyncio.gather(*submits)
    # one for the holding transaction, one for all five (not one for the first alone)
    assert len(commits) == 2


async def test_a_busy_nodes_submissions_coming_one_by_one_share_a_transaction(
    network: Network,
) -> None:
    ge = await network.add("ge", run=False, group_window_ms=100)
    await add_user(ge, "nino")
    commits = []
    event.listen(ge.db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    await ge.submit(mail("nino@ge", "nino@ge", subject="alone"))  # a quiet node: at once
    assert len(commits) == 1
    submits = []
    for i in range(4):  # each comes while the previous one waits for the group to fill
        submits.append(asyncio.create_task(ge.submit(mail("nino@ge", "nino@ge", subject=f"{i}"))))
        await asyncio.sleep(0.005)
    assert not any(task.done() for task in submits)
    await asyncio.gather(*submits)
    assert len(commits) == 2  # the four together
    assert len(await ge.mailbox.folder("nino", limit=10)) == 5


async def test_a_quiet_node_writes_a_submission_without_waiting_for_the_window(
    network: Network,
) -> None:
    ge = await network.add("ge", run=False, group_window_ms=400)
    await add_user(ge, "nino")
    await ge.submit(mail("nino@ge", "nino@ge"))
    await asyncio.sleep(0.45)  # longer than the window: the node is quiet again
    started = asyncio.get_running_loop().time()
    await ge.submit(mail("nino@ge", "nino@ge"))
    assert asyncio.get_running_loop().time() - started < 0.4
    # and right after it, busy: the next one waits for others to join it
    started = asyncio.get_running_loop().time()
    await ge.submit(mail("nino@ge", "nino@ge"))
    assert asyncio.get_running_loop().time() - started >= 0.39


async def test_large_bundles_are_verified_by_worker_threads_and_delivered(
    network: Network,
) -> None:
    ge = await network.add("ge")
    am = await network.add("am", verify_workers=1)
    await add_user(ge, "nino")
    await add_user(am, "armen")
    assert am.signatures._pool is None  # nothing large yet: no thread
    sent = await ge.submit_many([mail("nino@ge", "armen@am") for _ in range(POOLED_FROM)])

    async def filed() -> bool:
        return len(await am.mailbox.folder("armen", limit=1000)) == len(sent)

    await eventually(filed)
    assert am.signatures._pool is not None  # the bundle went to the worker
    await network.close()
    assert am.signatures._pool is None  # stopped with the node


async def test_a_running_node_collects_its_garbage_less_often(network: Network) -> None:
    default = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        await network.add("ge", run=False)
        assert gc.get_threshold() == (700, 10, 10)  # opening a node leaves the process alone
        await network.add("am")
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.set_threshold(*default)


async def test_the_outbox_reads_a_mail_stored_as_it_travels_instead_of_a_copy(
    network: Network,
) -> None:
    """A mail is stored byte for byte as it travels: its outbox row holds no second copy,
    and the dispatcher reads the stored one. A mail with attachments, stored without
    their bodies, keeps the whole of itself in its row until it is sent."""
    ge = await network.add("ge", run=False)
    await network.add("am", run=False)
    await add_user(ge, "nino")
    plain = await ge.submit(mail("nino@ge", "armen@am"))
    photo = Attachment.from_bytes("photo.bin", PHOTO)
    attached = await ge.submit(mail("nino@ge", "armen@am", attachments=[photo]))
    async with ge.db.transaction() as tx:
        pending = {row.message_id: row.payload for row in await tx.outbox.pending(10)}
        stored = await tx.mailbox.get(plain.id)
        copies = dict(
            (await tx.session.execute(select(OutboxItem.message_id, OutboxItem.payload))).all()
        )
    assert copies[plain.id] is None
    assert pending[plain.id] == stored.payload and parse_message(stored.payload) == plain
    assert copies[attached.id] == pending[attached.id]
    assert parse_message(pending[attached.id]) == attached  # the photo's bytes with it
