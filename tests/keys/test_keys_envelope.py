"""Sealing and opening envelopes: round trips, bundles, sizes, and every rejection reason."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from joserfc.jwk import OctKey, OKPKey
from joserfc.jws import JWSRegistry, serialize_compact

from keys import (
    EnvelopeError,
    NodeKeyring,
    decrypt_envelope,
    encrypt,
    open_envelope,
    seal,
    sign,
    verify_item,
)

if TYPE_CHECKING:
    from conftest import Node, NodeFactory

HEADER = {"eid": "e-1", "from": "ge", "to": ["am"], "created": "2025-01-01T00:00:00Z", "msgs": 1}


def seal_to_am(ge: Node, *payloads: bytes) -> bytes:
    return seal(
        list(payloads), keyring=ge.keyring, trust=ge.trust, recipients=["am"], header=HEADER
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def flip_one_character(text: str, index: int) -> str:
    """A base64url string with one character changed to another valid one."""
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def rejection(call: Callable[[], Any]) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call()
    assert str(caught.value) == f"{caught.value.reason}: {caught.value.detail}"
    return caught.value.reason


def test_one_message_round_trips_with_its_signer(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    opened = open_envelope(seal_to_am(ge, b'{"type":"mail"}'), keyring=am.keyring, trust=am.trust)
    assert opened.header["eid"] == "e-1"
    assert opened.header["cty"] == "icomm-message+jws"
    assert opened.header["typ"] == "icomm-envelope+jwe"
    [item] = opened.items
    assert (item.payload, item.signer_node, item.kid) == (
        b'{"type":"mail"}',
        "ge",
        ge.keyring.signing_kid,
    )
    header = json.loads(unb64(item.jws.split(".")[0]))
    assert header == {
        "alg": "Ed25519",
        "kid": ge.keyring.signing_kid,
        "typ": "icomm-message+jws",
        "iat": header["iat"],
    }
    assert item.signed_at is not None
    assert abs((datetime.now(UTC) - item.signed_at).total_seconds()) < 60
    assert int(item.signed_at.timestamp()) == header["iat"]


def test_signing_time_given_to_seal_is_signed_and_reported(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    raw = seal(
        [b"{}"], keyring=ge.keyring, trust=ge.trust, recipients=["am"], header={}, signed_at=when
    )
    [item] = open_envelope(raw, keyring=am.keyring, trust=am.trust).items
    assert item.signed_at == when


def test_envelope_is_jwe_general_json_with_routing_header_in_clear(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    envelope = json.loads(seal_to_am(ge, b"{}"))
    assert set(envelope) == {"protected", "recipients", "iv", "ciphertext", "tag"}
    [recipient] = envelope["recipients"]
    assert recipient["header"]["alg"] == "ECDH-ES+A256KW"
    assert recipient["header"]["kid"] == am.keyring.encryption_kid
    protected = json.loads(unb64(envelope["protected"]))
    assert protected["enc"] == "A256GCM"
    assert {k: protected[k] for k in HEADER} == HEADER


def test_bundle_of_three_round_trips_each_with_its_own_signature(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    payloads = [b'{"n":1}', b'{"n":2}', b'{"n":3}']
    raw = seal_to_am(ge, *payloads)
    header, signed = decrypt_envelope(raw, am.keyring)
    assert header["cty"] == "icomm-bundle+json"
    assert len(signed) == 3
    opened = open_envelope(raw, keyring=am.keyring, trust=am.trust)
    assert [item.payload for item in opened.items] == payloads
    assert {item.signer_node for item in opened.items} == {"ge"}
    assert [item.jws for item in opened.items] == signed


def test_every_recipient_node_can_open_the_same_envelope(
    make_node: NodeFactory, introduce: Callable[..., None]
) -> None:
    ge, am, ua = make_node("ge"), make_node("am"), make_node("ua")
    introduce(ge, am, ua)
    raw = seal(
        [b'{"to":"both"}'], keyring=ge.keyring, trust=ge.trust, recipients=["am", "ua"], header={}
    )
    assert len(json.loads(raw)["recipients"]) == 2
    for node in (am, ua):
        opened = open_envelope(raw, keyring=node.keyring, trust=node.trust)
        assert opened.items[0].payload == b'{"to":"both"}'


def test_a_one_mebibyte_message_round_trips(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    payload = json.dumps({"body": "x" * (1024 * 1024)}).encode()
    opened = open_envelope(seal_to_am(ge, payload), keyring=am.keyring, trust=am.trust)
    assert opened.items[0].payload == payload


def test_header_names_owned_by_the_envelope_are_refused(ge_am: tuple[Node, Node]) -> None:
    ge, _ = ge_am
    with pytest.raises(ValueError, match="enc"):
        seal([b"{}"], keyring=ge.keyring, trust=ge.trust, recipients=["am"], header={"enc": "x"})


# -- one test per rejection reason ---------------------------------------------------


def test_garbage_is_malformed(ge_am: tuple[Node, Node]) -> None:
    _, am = ge_am
    for raw in (b"\xff\x00garbage", b"[1, 2]", b'{"protected": "e30"}'):
        assert rejection(lambda r=raw: open_envelope(r, keyring=am.keyring, trust=am.trust)) == (
            "malformed"
        )


def test_a_plaintext_that_is_not_a_jws_is_malformed(ge_am: tuple[Node, Node]) -> None:
    _, am = ge_am
    assert rejection(lambda: verify_item("not.a-jws", am.trust)) == "malformed"
    assert rejection(lambda: verify_item("hello", am.trust)) == "malformed"


def signed_with_header(header: dict[str, Any], payload: bytes, keyring: NodeKeyring) -> str:
    """A compact JWS with a chosen protected header, signed with the raw Ed25519 key."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(payload)}"
    signature = keyring._signing_key().sign(signing_input.encode())
    return f"{signing_input}.{b64(signature)}"


def test_a_jws_with_broken_segments_is_malformed(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    header, payload, signature = sign(b'{"n":1}', ge.keyring).split(".")
    kid = ge.keyring.signing_kid
    broken = [
        f"{header}.{payload}!.{signature}",  # a character outside base64url
        f"{header}.{payload}.{signature[:-1]}*",
        f"{b64(b'not json')}.{payload}.{signature}",
        f"{b64(b'[1, 2]')}.{payload}.{signature}",
        f"{header}.{payload}.{signature}.{signature}",
        "ünïcode.a.b",
        # RFC 7797's unencoded payload: not a form we read
        signed_with_header(
            {"alg": "Ed25519", "kid": kid, "b64": False, "crit": ["b64"]}, b"{}", ge.keyring
        ),
    ]
    for jws in broken:
        assert rejection(lambda j=jws: verify_item(j, am.trust)) == "malformed", jws


def test_a_critical_header_we_do_not_understand_is_refused(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    header = {"alg": "Ed25519", "kid": ge.keyring.signing_kid, "crit": ["x-later"], "x-later": 1}
    jws = signed_with_header(header, b"{}", ge.keyring)
    assert rejection(lambda: verify_item(jws, am.trust)) == "bad_signature"
    understood = signed_with_header(
        {"alg": "Ed25519", "kid": ge.keyring.signing_kid}, b"{}", ge.keyring
    )
    assert verify_item(understood, am.trust).payload == b"{}"


def test_flipping_a_byte_of_the_protected_header_is_tampered(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    envelope = json.loads(seal_to_am(ge, b"{}"))
    header = unb64(envelope["protected"])
    at = header.index(b"e-1")
    envelope["protected"] = b64(header[:at] + b"E" + header[at + 1 :])  # "e-1" -> "E-1"
    raw = json.dumps(envelope).encode()
    assert rejection(lambda: open_envelope(raw, keyring=am.keyring, trust=am.trust)) == "tampered"


@pytest.mark.parametrize("member", ["ciphertext", "iv", "tag"])
def test_flipping_the_ciphertext_iv_or_tag_is_tampered(
    ge_am: tuple[Node, Node], member: str
) -> None:
    ge, am = ge_am
    envelope = json.loads(seal_to_am(ge, b'{"secret":true}'))
    envelope[member] = flip_one_character(envelope[member], 3)
    raw = json.dumps(envelope).encode()
    assert rejection(lambda: open_envelope(raw, keyring=am.keyring, trust=am.trust)) == "tampered"


def test_an_envelope_for_another_node_is_not_for_us(
    make_node: NodeFactory, introduce: Callable[..., None]
) -> None:
    ge, am, ua = make_node("ge"), make_node("am"), make_node("ua")
    introduce(ge, am, ua)
    raw = seal_to_am(ge, b"{}")
    assert rejection(lambda: open_envelope(raw, keyring=ua.keyring, trust=ua.trust)) == (
        "not_for_us"
    )


def test_a_signer_missing_from_the_trust_store_is_an_unknown_key(
    make_node: NodeFactory, ge_am: tuple[Node, Node]
) -> None:
    _, am = ge_am
    stranger = make_node("ua")
    stranger.trust.import_jwks("am", am.keyring.public_jwks())
    raw = seal(
        [b"{}"], keyring=stranger.keyring, trust=stranger.trust, recipients=["am"], header={}
    )
    assert decrypt_envelope(raw, am.keyring)[1]  # it does decrypt: it was sealed to am
    assert rejection(lambda: open_envelope(raw, keyring=am.keyring, trust=am.trust)) == (
        "unknown_key"
    )


def test_a_revoked_signer_is_a_revoked_key(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    raw = seal_to_am(ge, b"{}")
    am.trust.revoke(ge.keyring.signing_kid)
    assert rejection(lambda: open_envelope(raw, keyring=am.keyring, trust=am.trust)) == (
        "revoked_key"
    )


def test_an_altered_payload_re_encrypted_to_us_is_a_bad_signature(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    header, _payload, signature = sign(b'{"amount":10}', ge.keyring).split(".")
    altered = b64(b'{"amount":99}')
    forged = f"{header}.{altered}.{signature}"
    raw = encrypt([forged], trust=ge.trust, recipients=["am"], header={})
    assert rejection(lambda: open_envelope(raw, keyring=am.keyring, trust=am.trust)) == (
        "bad_signature"
    )


def test_a_signature_algorithm_other_than_ed25519_is_a_bad_signature(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    hmac_key = {"kty": "oct", "k": b64(b"k" * 32)}
    jws = serialize_compact(
        {"alg": "HS256", "kid": ge.keyring.signing_kid}, b"{}", OctKey.import_key(hmac_key)
    )
    assert rejection(lambda: verify_item(jws, am.trust)) == "bad_signature"


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_legacy_eddsa_signatures_from_partners_are_accepted(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    private = ge.keyring.private_jwks()["keys"][0]
    key = OKPKey.import_key({k: private[k] for k in ("kty", "crv", "x", "d")})
    jws = serialize_compact(
        {"alg": "EdDSA", "kid": private["kid"]},
        b'{"legacy":true}',
        key,
        registry=JWSRegistry(algorithms=["EdDSA"]),
    )
    item = verify_item(jws, am.trust)
    assert (item.payload, item.signer_node) == (b'{"legacy":true}', "ge")


def test_one_bad_item_in_a_bundle_leaves_the_others_verifiable(
    make_node: NodeFactory, ge_am: tuple[Node, Node]
) -> None:
    ge, am = ge_am
    stranger = make_node("ua")
    bundle = [sign(b'{"n":1}', ge.keyring), sign(b'{"n":2}', stranger.keyring)]
    raw = encrypt(bundle, trust=ge.trust, recipients=["am"], header={})
    _, signed = decrypt_envelope(raw, am.keyring)
    assert verify_item(signed[0], am.trust).payload == b'{"n":1}'
    assert rejection(lambda: verify_item(signed[1], am.trust)) == "unknown_key"
    assert rejection(lambda: open_envelope(raw, keyring=am.keyring, trust=am.trust)) == (
        "unknown_key"
    )


def test_a_keyring_loaded_from_disk_opens_what_was_sealed_to_it(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    raw = seal_to_am(ge, b"{}")
    reloaded = NodeKeyring.load(am.keyring.key_dir)
    assert open_envelope(raw, keyring=reloaded, trust=am.trust).items[0].payload == b"{}"
