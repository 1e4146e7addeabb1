"""Every reason a receiver refuses a message: each ends in quarantine, kept raw, never delivered."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nodes import Network, add_user, eventually

from hub.errors import Reason
from hub.node import Node
from keys import decrypt_envelope, encrypt, seal, sign
from message_schemas import EnvelopeHeader, HeaderEntry, Mail, dump_message


def header(sender: Node, to: str = "am", count: int = 1) -> dict[str, object]:
    """A routing header as a partner would write it (its listing is not checked)."""
    return EnvelopeHeader(
        eid=uuid.uuid4().hex,
        sender=sender.id,
        to=[to],
        created=datetime.now(UTC),
        skid=sender.keyring.signing_kid,
        msgs=[HeaderEntry(id=uuid.uuid4().hex, type="mail") for _ in range(count)],
    ).as_header()


def a_mail(sender: str = "nino@ge", to: str = "armen@am") -> Mail:
    return Mail(sender=sender, to=[to], subject="Seizure at Sarpi", body="12,000 cigarettes")


def flip(text: str, at: int = 10) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


async def quarantined(node: Node, raw: bytes, delivered: int = 0) -> tuple[str, str, bytes]:
    """Publish ``raw`` to the node's queue and return its single quarantine entry."""
    await node.transport.publish(node.id, uuid.uuid4().hex, raw)

    async def one_item() -> bool:
        async with node.db.transaction() as tx:
            return await tx.quarantine.count() == 1

    await eventually(one_item)
    async with node.db.transaction() as tx:
        [item] = await tx.quarantine.list()
        assert await tx.mailbox.count("armen") == delivered
    return item.reason, item.detail, item.raw


@pytest.fixture
async def pair(network: Network) -> tuple[Node, Node]:
    ge, am = await network.add("ge", run=False), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    return ge, am


def sealed(sender: Node, *payloads: bytes, to: str = "am", **options: object) -> bytes:
    return seal(
        list(payloads),
        keyring=sender.keyring,
        trust=sender.trust,
        recipients=[to],
        header=header(sender, to, len(payloads)),
        **options,  # type: ignore[arg-type]
    )


async def test_changed_protected_header_is_quarantined_as_tampered(pair: tuple[Node, Node]) -> None:
    ge, am = pair
    envelope = json.loads(sealed(ge, dump_message(a_mail())))
    # a well-formed header whose content changed (a flipped base64 character might instead
    # make it unreadable, which is refused as malformed)
    protected = json.loads(base64.urlsafe_b64decode(envelope["protected"] + "=="))
    protected["eid"] = uuid.uuid4().hex
    envelope["protected"] = (
        base64.urlsafe_b64encode(json.dumps(protected).encode()).rstrip(b"=").decode()
    )
    raw = json.dumps(envelope).encode()
    reason, _, kept = await quarantined(am, raw)
    assert reason == Reason.TAMPERED and kept == raw


async def test_changed_ciphertext_is_quarantined_as_tampered(pair: tuple[Node, Node]) -> None:
    ge, am = pair
    envelope = json.loads(sealed(ge, dump_message(a_mail())))
    envelope["ciphertext"] = flip(envelope["ciphertext"])
    reason, _, _ = await quarantined(am, json.dumps(envelope).encode())
    assert reason == Reason.TAMPERED


async def test_altered_signed_payload_is_quarantined_as_bad_signature(
    pair: tuple[Node, Node],
) -> None:
    ge, am = pair
    protected, _, signature = sign(dump_message(a_mail()), ge.keyring).split(".")
    forged_body = base64.urlsafe_b64encode(dump_message(a_mail())).rstrip(b"=").decode()
    forged = f"{protected}.{forged_body}.{signature}"
    raw = encrypt([forged], trust=ge.trust, recipients=["am"], header=header(ge))
    reason, detail, kept = await quarantined(am, raw)
    assert reason == Reason.BAD_SIGNATURE and "does not verify" in detail
    assert kept == forged.encode()


async def test_message_signed_by_another_node_than_its_sender_is_refused(
    network: Network, pair: tuple[Node, Node]
) -> None:
    _, am = pair
    ua = await network.add("ua", run=False)
    reason, detail, _ = await quarantined(am, sealed(ua, dump_message(a_mail("nino@ge"))))
    assert reason == Reason.BAD_SIGNATURE and "signed by node 'ua'" in detail


async def test_unknown_signing_key_is_quarantined(
    network: Network, pair: tuple[Node, Node]
) -> None:
    _, am = pair
    stranger = await Node(network.settings("ua")).open()
    try:
        stranger.trust.import_jwks("am", am.keyring.public_jwks())
        raw = sealed(stranger, dump_message(a_mail("someone@ua")))
    finally:
        await stranger.close()
    reason, detail, _ = await quarantined(am, raw)
    assert reason == Reason.UNKNOWN_KEY and stranger.keyring.signing_kid in detail


async def test_revoked_signing_key_is_quarantined(pair: tuple[Node, Node]) -> None:
    ge, am = pair
    am.trust.revoke(ge.keyring.signing_kid)
    reason, _, _ = await quarantined(am, sealed(ge, dump_message(a_mail())))
    assert reason == Reason.REVOKED_KEY


@pytest.mark.parametrize("skew", [timedelta(hours=-1), timedelta(minutes=11)])
async def test_signature_time_outside_the_window_is_quarantined(
    pair: tuple[Node, Node], skew: timedelta
) -> None:
    ge, am = pair
    raw = sealed(ge, dump_message(a_mail()), signed_at=datetime.now(UTC) + skew)
    reason, detail, _ = await quarantined(am, raw)
    assert reason == Reason.TIMESTAMP and "outside ±0:10:00" in detail


async def test_replayed_message_id_in_a_new_envelope_is_quarantined(
    pair: tuple[Node, Node],
) -> None:
    ge, am = pair
    sent = await ge.submit(a_mail())
    ge.run()

    async def delivered() -> bool:
        return await am.mailbox.folder("armen") != []

    await eventually(delivered)
    async with am.db.transaction() as tx:
        [original] = [e async for e in tx.envelopes.stream() if e.direction == "in"]
    _, signed = decrypt_envelope(original.raw, am.keyring)
    replay = encrypt(
        signed, trust=ge.trust, recipients=["am"], header=header(ge, count=len(signed))
    )
    await am.transport.publish("am", uuid.uuid4().hex, replay)

    async def refused() -> bool:
        async with am.db.transaction() as tx:
            return [q.reason for q in await tx.quarantine.list()] == [Reason.REPLAY]

    await eventually(refused)
    assert [i.message.id for i in await am.mailbox.folder("armen")] == [sent.id]


async def test_same_envelope_delivered_twice_is_stored_once(pair: tuple[Node, Node]) -> None:
    ge, am = pair
    raw = sealed(ge, dump_message(a_mail()))
    await am.transport.publish("am", uuid.uuid4().hex, raw)

    async def delivered() -> bool:
        return await am.mailbox.folder("armen") != []

    await eventually(delivered)
    await am.transport.publish("am", uuid.uuid4().hex, raw)

    async def refused() -> bool:
        async with am.db.transaction() as tx:
            return await tx.quarantine.count() == 1

    await eventually(refused)
    async with am.db.transaction() as tx:
        [item] = await tx.quarantine.list()
        assert item.reason == Reason.REPLAY and item.raw == raw
        assert await tx.mailbox.count("armen") == 1


async def test_message_not_addressed_to_this_node_is_quarantined(pair: tuple[Node, Node]) -> None:
    ge, am = pair
    reason, detail, _ = await quarantined(am, sealed(ge, dump_message(a_mail(to="olena@ua"))))
    assert reason == Reason.MISADDRESSED and "olena@ua" in detail


async def test_envelope_encrypted_for_another_node_is_quarantined(
    network: Network, pair: tuple[Node, Node]
) -> None:
    ge, am = pair
    await network.add("ua", run=False)
    raw = sealed(ge, dump_message(a_mail(to="olena@ua")), to="ua")
    reason, _, kept = await quarantined(am, raw)
    assert reason == Reason.MISADDRESSED and kept == raw


async def test_payload_that_is_no_known_message_is_quarantined_as_schema_error(
    pair: tuple[Node, Node],
) -> None:
    ge, am = pair
    payload = json.dumps({"type": "mail", "v": 1, "id": uuid.uuid4().hex}).encode()
    reason, detail, _ = await quarantined(am, sealed(ge, payload))
    assert reason == Reason.SCHEMA and "subject" in detail


async def test_envelope_without_a_routing_header_is_quarantined_as_malformed(
    pair: tuple[Node, Node],
) -> None:
    ge, am = pair
    raw = seal(
        [dump_message(a_mail())],
        keyring=ge.keyring,
        trust=ge.trust,
        recipients=["am"],
        header={"eid": "not-an-id", "to": ["am"]},
    )
    reason, detail, kept = await quarantined(am, raw)
    assert reason == Reason.MALFORMED and "eid" in detail and "msgs" in detail
    assert kept == raw


async def test_bytes_that_are_no_envelope_are_quarantined_as_malformed(
    pair: tuple[Node, Node],
) -> None:
    _, am = pair
    reason, _, kept = await quarantined(am, b"GET / HTTP/1.1\r\n")
    assert reason == Reason.MALFORMED and kept == b"GET / HTTP/1.1\r\n"


async def test_one_bad_message_in_a_bundle_does_not_lose_the_others(
    pair: tuple[Node, Node],
) -> None:
    ge, am = pair
    good = a_mail()
    raw = sealed(ge, dump_message(good), dump_message(a_mail(to="olena@ua")))
    reason, _, _ = await quarantined(am, raw, delivered=1)
    assert reason == Reason.MISADDRESSED
    assert [i.message.id for i in await am.mailbox.folder("armen")] == [good.id]
