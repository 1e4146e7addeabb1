"""The node keyring: files on disk, kids, passphrases, rotation, retirement, revocation."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from jwcrypto.jwk import JWK

from keys import EnvelopeError, KeyStoreError, NodeKeyring, open_envelope, seal

if TYPE_CHECKING:
    from conftest import Node


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_private_files_0600_in_a_0700_dir(tmp_path: Path) -> None:
    key_dir = tmp_path / "data" / "keys"
    NodeKeyring.create(key_dir, "ge")
    assert mode(key_dir) == 0o700
    files = sorted(p.name for p in key_dir.iterdir())
    assert len([f for f in files if f.endswith(".pem")]) == 2
    assert "keyring.json" in files
    assert all(mode(key_dir / f) == 0o600 for f in files)


def test_private_key_files_are_pkcs8_pem(tmp_path: Path) -> None:
    keyring = NodeKeyring.create(tmp_path / "keys", "ge")
    pem = (tmp_path / "keys" / f"sig-{keyring.signing_kid}.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")


def test_create_refuses_to_overwrite_an_existing_keyring(tmp_path: Path) -> None:
    NodeKeyring.create(tmp_path / "keys", "ge")
    with pytest.raises(KeyStoreError, match="already exists"):
        NodeKeyring.create(tmp_path / "keys", "ge")


def test_kids_are_rfc7638_thumbprints(tmp_path: Path) -> None:
    keyring = NodeKeyring.create(tmp_path / "keys", "ge")
    for public in keyring.public_jwks()["keys"]:
        assert public["kid"] == JWK(**public).thumbprint()
    kids = {k["kid"] for k in keyring.public_jwks()["keys"]}
    assert kids == {keyring.signing_kid, keyring.encryption_kid}


def test_public_jwks_lists_current_keys_with_use_and_alg_and_no_private_part(
    tmp_path: Path,
) -> None:
    keyring = NodeKeyring.create(tmp_path / "keys", "ge")
    sig, enc = keyring.public_jwks()["keys"]
    assert (sig["use"], sig["alg"], sig["kty"], sig["crv"]) == ("sig", "Ed25519", "OKP", "Ed25519")
    assert (enc["use"], enc["alg"], enc["crv"]) == ("enc", "ECDH-ES+A256KW", "X25519")
    assert "d" not in sig and "d" not in enc


def test_load_returns_the_same_keys(tmp_path: Path) -> None:
    created = NodeKeyring.create(tmp_path / "keys", "ge")
    loaded = NodeKeyring.load(tmp_path / "keys")
    assert loaded.node == "ge"
    assert loaded.private_jwks() == created.private_jwks()


def test_load_of_a_missing_keyring_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="icomm keys init"):
        NodeKeyring.load(tmp_path / "keys")


def test_load_or_create_creates_once_then_loads(tmp_path: Path) -> None:
    first = NodeKeyring.load_or_create(tmp_path / "keys", "ge")
    second = NodeKeyring.load_or_create(tmp_path / "keys", "ge")
    assert second.signing_kid == first.signing_kid


def test_passphrase_protected_keyring_needs_the_right_passphrase(tmp_path: Path) -> None:
    key_dir = tmp_path / "keys"
    created = NodeKeyring.create(key_dir, "ge", passphrase=b"correct horse")
    assert b"ENCRYPTED" in (key_dir / f"enc-{created.encryption_kid}.pem").read_bytes()
    with pytest.raises(KeyStoreError, match="locked"):
        NodeKeyring.load(key_dir)
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        NodeKeyring.load(key_dir, passphrase=b"battery staple")
    assert NodeKeyring.load(key_dir, passphrase=b"correct horse").signing_kid == (
        created.signing_kid
    )


def test_load_refuses_a_private_key_readable_by_others(tmp_path: Path) -> None:
    keyring = NodeKeyring.create(tmp_path / "keys", "ge")
    exposed = tmp_path / "keys" / f"sig-{keyring.signing_kid}.pem"
    exposed.chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600") as caught:
        NodeKeyring.load(tmp_path / "keys")
    assert str(exposed) in str(caught.value)


def test_rotate_publishes_new_keys_first_and_keeps_the_previous_ones(tmp_path: Path) -> None:
    keyring = NodeKeyring.create(tmp_path / "keys", "ge")
    old = (keyring.signing_kid, keyring.encryption_kid)
    new = keyring.rotate()
    assert new == (keyring.signing_kid, keyring.encryption_kid)
    assert set(new).isdisjoint(old)
    kids = [k["kid"] for k in keyring.public_jwks()["keys"]]
    assert kids[:2] == list(new)
    assert set(kids[2:]) == set(old)
    reloaded = NodeKeyring.load(tmp_path / "keys")
    assert (reloaded.signing_kid, reloaded.encryption_kid) == new


def test_after_rotation_old_signatures_verify_and_old_envelopes_decrypt(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    sealed_before = seal(
        [b'{"n":1}'], keyring=ge.keyring, trust=ge.trust, recipients=["am"], header={}
    )
    am.keyring.rotate()  # the receiver's old encryption key must still decrypt
    ge.keyring.rotate()  # the sender's old signing key must still verify
    am.trust.import_jwks("ge", ge.keyring.public_jwks())
    opened = open_envelope(sealed_before, keyring=am.keyring, trust=am.trust)
    assert opened.items[0].payload == b'{"n":1}'
    assert opened.items[0].kid != ge.keyring.signing_kid


def test_retire_unpublishes_a_previous_key_deletes_it_and_stops_decrypting(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    sealed_before = seal([b"{}"], keyring=ge.keyring, trust=ge.trust, recipients=["am"], header={})
    old_sig, old_enc = am.keyring.signing_kid, am.keyring.encryption_kid
    am.keyring.rotate()
    am.keyring.retire(old_sig)
    am.keyring.retire(old_enc)
    published = {k["kid"] for k in am.keyring.public_jwks()["keys"]}
    assert published.isdisjoint({old_sig, old_enc})
    assert {k["kid"] for k in am.keyring.private_jwks()["keys"]}.isdisjoint({old_sig, old_enc})
    assert not (am.keyring.key_dir / f"enc-{old_enc}.pem").exists()
    with pytest.raises(EnvelopeError) as caught:
        open_envelope(sealed_before, keyring=am.keyring, trust=am.trust)
    assert caught.value.reason == "not_for_us"


def test_revoke_unpublishes_a_previous_key_but_keeps_it_in_the_backup(tmp_path: Path) -> None:
    keyring = NodeKeyring.create(tmp_path / "keys", "ge")
    old_sig = keyring.signing_kid
    keyring.rotate()
    keyring.revoke(old_sig)
    assert old_sig not in {k["kid"] for k in keyring.public_jwks()["keys"]}
    assert old_sig in {k["kid"] for k in keyring.private_jwks()["keys"]}
    metadata = json.loads((tmp_path / "keys" / "keyring.json").read_text())
    statuses = {k["kid"]: k["status"] for k in metadata["keys"]}
    assert statuses[old_sig] == "revoked"
    assert NodeKeyring.load(tmp_path / "keys").public_jwks() == keyring.public_jwks()


def test_revoking_or_retiring_a_current_key_asks_to_rotate_first(tmp_path: Path) -> None:
    keyring = NodeKeyring.create(tmp_path / "keys", "ge")
    with pytest.raises(KeyStoreError, match="rotate"):
        keyring.revoke(keyring.signing_kid)
    with pytest.raises(KeyStoreError, match="rotate"):
        keyring.retire(keyring.encryption_kid)


def test_unknown_kid_is_a_keystore_error(tmp_path: Path) -> None:
    keyring = NodeKeyring.create(tmp_path / "keys", "ge")
    with pytest.raises(KeyStoreError, match="no key"):
        keyring.revoke("nope")
