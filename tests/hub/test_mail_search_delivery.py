"""Search over mail delivered the way the hub delivers it, on every backend of the matrix:
the index is written by the database as the router files a mail, here or at a partner."""

from __future__ import annotations

import asyncio

from nodes import Network, add_user, eventually, writing_elsewhere

from message_schemas import Mail


async def test_delivered_mail_is_found_by_the_words_of_its_text(network: Network) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    for name in ("nino", "levan", "giorgi", "tamar"):
        await add_user(ge, name)
    await add_user(am, "armen")
    async with ge.db.transaction() as tx:
        await tx.users.add_group("analysts")
        await tx.users.add_member("analysts", "giorgi")
        await tx.users.add_member("analysts", "tamar")
    sent = await ge.submit(
        Mail(
            sender="nino@ge",
            to=["levan@ge", "analysts@ge", "armen@am"],
            subject="Joint operation",
            body="Cigarettes hidden in a ТРАКТОР at სარფი.",
        )
    )
    await ge.submit(Mail(sender="nino@ge", to=["levan@ge"], subject="Other", body="Nothing."))

    async def arrived() -> bool:
        return bool(await am.mailbox.folder("armen"))

    await eventually(arrived)
    for node, owner, folder in (
        (ge, "levan", "inbox"),
        (ge, "giorgi", "inbox"),
        (ge, "tamar", None),
        (ge, "nino", "sent"),
        (am, "armen", "inbox"),
    ):
        for typed in ("hidden cigar", "трактор", "სარფი", "nino@ge joint"):
            found = await node.mailbox.search(owner, typed, folder)
            assert [item.message.id for item in found] == [sent.id], (owner, typed)
    assert await ge.mailbox.search("levan", "hidden", "sent") == []
    assert await ge.mailbox.search("nino", "hidden", "inbox") == []


async def test_a_listing_and_a_search_do_not_wait_for_a_write_in_progress(
    network: Network,
) -> None:
    """Reads go beside the writers: while another task holds a write transaction open
    (on SQLite, the node's one write lock), a folder and a search still answer."""
    ge = await network.add("ge", run=False)
    await add_user(ge, "nino")
    await add_user(ge, "levan")
    sent = await ge.submit(
        Mail(sender="nino@ge", to=["levan@ge"], subject="Tobacco", body="Trucks at Sarpi.")
    )
    async with writing_elsewhere(ge):
        listing = await asyncio.wait_for(ge.mailbox.folder("levan"), 5)
        found = await asyncio.wait_for(ge.mailbox.search("levan", "sarpi trucks"), 5)
        unread = await asyncio.wait_for(ge.mailbox.unread_count("levan"), 5)
    assert [item.message.id for item in listing] == [sent.id]
    assert [item.message.id for item in found] == [sent.id]
    assert unread == 1
