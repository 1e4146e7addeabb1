"""The partners' trust store: what it accepts, how rotation and revocation change it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keys import EnvelopeError, NodeKeyring, TrustError, TrustStore, thumbprint


@pytest.fixture
def partner(tmp_path: Path) -> NodeKeyring:
    return NodeKeyring.create(tmp_path / "am" / "keys", "am")


@pytest.fixture
def trust(tmp_path: Path) -> TrustStore:
    return TrustStore.open(tmp_path / "ge" / "trust.json")


def test_open_creates_an_empty_store(tmp_path: Path) -> None:
    store = TrustStore.open(tmp_path / "new" / "trust.json")
    assert store.nodes() == []
    assert json.loads((tmp_path / "new" / "trust.json").read_text()) == {"keys": []}


def test_import_trusts_a_partners_keys_and_persists_them(
    tmp_path: Path, trust: TrustStore, partner: NodeKeyring
) -> None:
    imported = trust.import_jwks("am", partner.public_jwks())
    assert imported == [partner.signing_kid, partner.encryption_kid]
    reopened = TrustStore.open(tmp_path / "ge" / "trust.json")
    assert reopened.nodes() == ["am"]
    assert reopened.encryption_kids("am") == [partner.encryption_kid]
    assert reopened.signing_key(partner.signing_kid)[0] == "am"
    assert reopened.export_jwks("am") == partner.public_jwks()


def test_import_refuses_a_private_key(trust: TrustStore, partner: NodeKeyring) -> None:
    with pytest.raises(TrustError, match="refusing to import a private key"):
        trust.import_jwks("am", partner.private_jwks())
    assert trust.nodes() == []


def test_import_refuses_a_kid_that_is_not_the_thumbprint(
    trust: TrustStore, partner: NodeKeyring
) -> None:
    jwks = partner.public_jwks()
    jwks["keys"][0]["kid"] = "chosen-by-the-sender"
    with pytest.raises(TrustError, match="thumbprint"):
        trust.import_jwks("am", jwks)
    assert trust.nodes() == []


def test_import_refuses_keys_of_other_types(trust: TrustStore) -> None:
    rsa_like = {"kty": "RSA", "n": "AQAB", "e": "AQAB"}
    with pytest.raises(TrustError, match="not an OKP"):
        trust.import_jwks("am", {"keys": [rsa_like]})


def test_import_computes_a_missing_kid(trust: TrustStore, partner: NodeKeyring) -> None:
    jwks = partner.public_jwks()
    bare = [{k: v for k, v in key.items() if k in ("kty", "crv", "x")} for key in jwks["keys"]]
    imported = trust.import_jwks("am", {"keys": bare})
    assert imported == [thumbprint(key) for key in bare]
    assert imported == [partner.signing_kid, partner.encryption_kid]


def test_import_is_idempotent(tmp_path: Path, trust: TrustStore, partner: NodeKeyring) -> None:
    first = trust.import_jwks("am", partner.public_jwks())
    content = (tmp_path / "ge" / "trust.json").read_text()
    assert trust.import_jwks("am", partner.public_jwks()) == first
    assert json.loads((tmp_path / "ge" / "trust.json").read_text()) == json.loads(content)


def test_a_kid_cannot_move_to_another_node(trust: TrustStore, partner: NodeKeyring) -> None:
    trust.import_jwks("am", partner.public_jwks())
    with pytest.raises(TrustError, match="already belongs to node 'am'"):
        trust.import_jwks("ua", partner.public_jwks())


def test_after_partner_rotation_old_keys_stop_encrypting_but_still_verify(
    trust: TrustStore, partner: NodeKeyring
) -> None:
    trust.import_jwks("am", partner.public_jwks())
    old_sig, old_enc = partner.signing_kid, partner.encryption_kid
    partner.rotate()
    partner.retire(old_sig)
    partner.retire(old_enc)
    trust.import_jwks("am", partner.public_jwks())
    assert trust.encryption_kids("am") == [partner.encryption_kid]
    assert trust.signing_key(old_sig)[0] == "am"


def test_no_encryption_key_says_how_to_import_one(trust: TrustStore) -> None:
    with pytest.raises(TrustError, match=r"no encryption key for node 'am'.*icomm keys import"):
        trust.encryption_kids("am")


def test_revoked_key_is_refused_and_stays_revoked_when_reimported(
    tmp_path: Path, trust: TrustStore, partner: NodeKeyring
) -> None:
    trust.import_jwks("am", partner.public_jwks())
    trust.revoke(partner.signing_kid)
    with pytest.raises(EnvelopeError) as caught:
        trust.signing_key(partner.signing_kid)
    assert caught.value.reason == "revoked_key"
    assert trust.import_jwks("am", partner.public_jwks()) == [partner.encryption_kid]
    reopened = TrustStore.open(tmp_path / "ge" / "trust.json")
    with pytest.raises(EnvelopeError, match="revoked_key"):
        reopened.signing_key(partner.signing_kid)
    assert partner.signing_kid not in {k["kid"] for k in reopened.export_jwks("am")["keys"]}


def test_revoking_an_encryption_key_stops_encrypting_to_it(
    trust: TrustStore, partner: NodeKeyring
) -> None:
    trust.import_jwks("am", partner.public_jwks())
    trust.revoke(partner.encryption_kid)
    with pytest.raises(TrustError, match="no encryption key"):
        trust.encryption_kids("am")


def test_revoking_an_unknown_kid_is_a_trust_error(trust: TrustStore) -> None:
    with pytest.raises(TrustError, match="no key"):
        trust.revoke("unknown")


def test_unknown_signing_kid_is_an_unknown_key_error(trust: TrustStore) -> None:
    with pytest.raises(EnvelopeError) as caught:
        trust.signing_key("unknown")
    assert caught.value.reason == "unknown_key"


def test_an_import_by_another_process_is_seen_at_once(
    tmp_path: Path, trust: TrustStore, partner: NodeKeyring
) -> None:
    assert trust.nodes() == []
    other_process = TrustStore.open(tmp_path / "ge" / "trust.json")
    other_process.import_jwks("am", partner.public_jwks())
    assert trust.signing_key(partner.signing_kid)[0] == "am"
    assert trust.encryption_kids("am") == [partner.encryption_kid]


def test_a_revocation_by_another_process_is_seen_after_the_refresh_interval(
    tmp_path: Path, trust: TrustStore, partner: NodeKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust.import_jwks("am", partner.public_jwks())
    TrustStore.open(tmp_path / "ge" / "trust.json").revoke(partner.signing_kid)
    monkeypatch.setattr("keys.truststore.REFRESH_SECONDS", 0.0)
    with pytest.raises(EnvelopeError, match="revoked_key"):
        trust.signing_key(partner.signing_kid)
