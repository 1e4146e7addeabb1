"""Key rotation: the new key signs, partners learn it by keys.announce, the old one still verifies."""

from __future__ import annotations

from nodes import Network, add_user, eventually

from hub.node import Node
from keys import NodeKeyring
from message_schemas import Mail


def mail(subject: str) -> Mail:
    return Mail(sender="nino@ge", to=["armen@am"], subject=subject, body="b")


async def inbox_subjects(am: Node) -> set[str]:
    return {i.message.subject or "" for i in await am.mailbox.folder("armen")}


async def test_rotation_in_another_process_is_announced_and_used(network: Network) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    old_kid = ge.keyring.signing_kid
    await ge.submit(mail("before"))

    # `icomm keys rotate` in another process: a second keyring object on the same files
    other_process = NodeKeyring.load(ge.settings.key_dir)
    new_kid, _ = other_process.rotate()
    assert ge.keyring.refresh() and ge.keyring.signing_kid == new_kid
    assert await ge.announce_keys() == ["am"]

    async def learned() -> bool:
        return new_kid in {k.kid for k in am.trust.keys()}

    await eventually(learned)
    await ge.submit(mail("after"))

    async def both_arrived() -> bool:
        return await inbox_subjects(am) == {"before", "after"}

    await eventually(both_arrived)
    async with am.db.transaction() as tx:
        assert await tx.quarantine.count() == 0
    signers = {k.kid: k.status for k in am.trust.keys() if k.node == "ge" and k.use == "sig"}
    assert old_kid in signers and new_kid in signers


async def test_keys_announced_by_a_node_for_another_node_are_refused(network: Network) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    ua = await network.add("ua", run=False)
    forged = ua.keyring.public_jwks()
    from datetime import UTC, datetime

    from message_schemas import KeysAnnounce

    await ge.submit(
        KeysAnnounce(
            sender="postmaster@ge",
            to=["postmaster@am"],
            node="ua",
            jwks=forged,
            effective=datetime.now(UTC),
        )
    )

    async def refused() -> bool:
        async with am.db.transaction() as tx:
            return [q.reason for q in await tx.quarantine.list()] == ["bad_signature"]

    await eventually(refused)


async def test_mail_signed_with_a_key_announced_after_it_is_delivered_not_quarantined(
    network: Network,
) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    ge.keyring.rotate()  # no announcement yet: am does not know the new key
    await ge.submit(mail("signed with the new key"))

    async def sealed() -> bool:
        async with ge.db.transaction() as tx:
            return not await tx.outbox.backlog()

    await eventually(sealed)
    await ge.announce_keys()

    async def arrived() -> bool:
        return await inbox_subjects(am) == {"signed with the new key"}

    await eventually(arrived, within=30)
    async with am.db.transaction() as tx:
        assert await tx.quarantine.count() == 0
