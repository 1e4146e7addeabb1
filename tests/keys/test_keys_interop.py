"""An independent JOSE implementation (jwcrypto) reads our envelopes, and we read its.

Each side is given only what a partner would have: its own private JWK, the other
node's public JWKS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from independent_jose import envelope_header
from jwcrypto.common import json_encode
from jwcrypto.jwe import JWE
from jwcrypto.jwk import JWK, JWKSet
from jwcrypto.jws import JWS

from keys import open_envelope, seal

if TYPE_CHECKING:
    from conftest import Node, NodeFactory

# jwcrypto's EdDSA signature stands for a partner's older library; joserfc flags it
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def private_jwk(node: Node, kid: str) -> JWK:
    [key] = [k for k in node.keyring.private_jwks()["keys"] if k["kid"] == kid]
    return JWK(**key)


def test_jwcrypto_decrypts_and_verifies_what_we_seal(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    payload = b'{"type":"mail","subject":"seizure at Sarpi"}'
    raw = seal(
        [payload], keyring=ge.keyring, trust=ge.trust, recipients=["am"], header={"eid": "1"}
    )

    jwe = JWE()
    jwe.deserialize(raw.decode(), key=private_jwk(am, am.keyring.encryption_kid))
    header = envelope_header(jwe)
    assert header["cty"] == "icomm-message+jws"
    assert header["eid"] == "1"

    sender_keys = JWKSet.from_json(json.dumps(ge.keyring.public_jwks()))
    jws = JWS()
    jws.deserialize(jwe.payload.decode())
    jws.verify(sender_keys.get_key(ge.keyring.signing_kid), alg="Ed25519")
    assert jws.jose_header["alg"] == "Ed25519"
    assert jws.payload == payload


def test_jwcrypto_reads_each_message_of_a_bundle(ge_am: tuple[Node, Node]) -> None:
    ge, am = ge_am
    payloads = [b'{"n":1}', b'{"n":2}']
    raw = seal(payloads, keyring=ge.keyring, trust=ge.trust, recipients=["am"], header={})
    jwe = JWE()
    jwe.deserialize(raw.decode(), key=private_jwk(am, am.keyring.encryption_kid))
    sender_keys = JWKSet.from_json(json.dumps(ge.keyring.public_jwks()))
    read = []
    for compact in json.loads(jwe.payload):
        jws = JWS()
        jws.deserialize(compact)
        jws.verify(sender_keys.get_key(jws.jose_header["kid"]), alg="Ed25519")
        read.append(jws.payload)
    assert read == payloads


def jwcrypto_envelope(sender: Node, *recipients: Node) -> bytes:
    """A message signed (alg EdDSA) and encrypted by jwcrypto, from sender's private JWK
    and the recipients' public JWKS only."""
    jws = JWS(b'{"from":"jwcrypto"}')
    jws.add_signature(
        private_jwk(sender, sender.keyring.signing_kid),
        alg="EdDSA",
        protected=json_encode({"alg": "EdDSA", "kid": sender.keyring.signing_kid}),
    )
    jwe = JWE(
        jws.serialize(compact=True).encode(),
        protected=json_encode({"enc": "A256GCM", "cty": "icomm-message+jws", "eid": "j-1"}),
    )
    for recipient in recipients:
        jwks = JWKSet.from_json(json.dumps(recipient.keyring.public_jwks()))
        key = jwks.get_key(recipient.keyring.encryption_kid)
        jwe.add_recipient(key, header=json_encode({"alg": "ECDH-ES+A256KW", "kid": key.kid}))
    return jwe.serialize().encode()


def test_we_open_a_general_json_envelope_built_by_jwcrypto_with_eddsa(
    make_node: NodeFactory, introduce: Callable[..., None]
) -> None:
    ge, am, ua = make_node("ge"), make_node("am"), make_node("ua")
    introduce(ge, am, ua)
    raw = jwcrypto_envelope(ge, am, ua)
    assert len(json.loads(raw)["recipients"]) == 2
    for node in (am, ua):
        opened = open_envelope(raw, keyring=node.keyring, trust=node.trust)
        assert opened.header["eid"] == "j-1"
        [item] = opened.items
        assert (item.payload, item.signer_node) == (b'{"from":"jwcrypto"}', "ge")


def test_we_open_a_flattened_envelope_jwcrypto_writes_for_one_recipient(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    raw = jwcrypto_envelope(ge, am)
    assert "recipients" not in json.loads(raw)
    opened = open_envelope(raw, keyring=am.keyring, trust=am.trust)
    assert opened.items[0].payload == b'{"from":"jwcrypto"}'
