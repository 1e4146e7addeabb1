"""The node's own keys: an Ed25519 signing key and an X25519 encryption key, with history.

On disk, in ``key_dir`` (mode 0700)::

    keyring.json          node id and, for every key: kid, use, status, created, file
    sig-<kid>.pem         one PKCS8 PEM private key per file, mode 0600, encrypted
    enc-<kid>.pem         with the passphrase when the keyring has one

A key's status moves one way::

    current ──rotate──▶ previous ──retire──▶ retired   (private file deleted)
                           └──────revoke───▶ revoked   (kept for the backup only)

``current`` keys sign and receive; ``previous`` keys are still published (partners
keep verifying in-flight messages) and still decrypt (envelopes sealed before the
partner learnt the new key); ``retired`` and ``revoked`` keys are neither published
nor used. Revoking a current key is refused: rotate first, so the node is never left
without a key (and the operator decides when that happens).

A running process does not see a rotation made by another one (the CLI): reload
the keyring after ``icomm keys rotate``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    KeySerializationEncryption,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from joserfc.jwk import OKPKey

from keys import jwk
from keys.errors import KeyStoreError
from keys.private_file import file_stamp, make_private_dir, read_private
from storage.files import write_atomic

METADATA_FILE = "keyring.json"


class KeyStatus(StrEnum):
    CURRENT = "current"
    PREVIOUS = "previous"
    RETIRED = "retired"
    REVOKED = "revoked"


_USES: tuple[jwk.Use, ...] = ("sig", "enc")
_PUBLISHED = (KeyStatus.CURRENT, KeyStatus.PREVIOUS)
_BACKED_UP = (KeyStatus.CURRENT, KeyStatus.PREVIOUS, KeyStatus.REVOKED)


@dataclass(frozen=True)
class KeyInfo:
    """What the keyring records about one of its keys (no secret)."""

    kid: str
    use: jwk.Use
    status: KeyStatus
    created: str
    file: str


class NodeKeyring:
    """One node's private keys, loaded and unlocked; build with ``create`` or ``load``."""

    def __init__(
        self,
        key_dir: Path,
        node: str,
        infos: list[KeyInfo],
        private_keys: dict[str, jwk.PrivateKey],
        passphrase: bytes | None,
    ) -> None:
        self._dir = key_dir
        self._node = node
        self._infos = infos
        self._private = private_keys
        self._passphrase = passphrase
        self._jose: dict[str, OKPKey] = {}
        self._stamp = file_stamp(key_dir / METADATA_FILE)

    # -- building -----------------------------------------------------------------

    @staticmethod
    def exists(key_dir: Path) -> bool:
        return (key_dir / METADATA_FILE).is_file()

    @staticmethod
    def owner(key_dir: Path) -> str | None:
        """The node id a keyring in ``key_dir`` belongs to (no passphrase needed), if any."""
        try:
            node = json.loads((key_dir / METADATA_FILE).read_bytes())["node"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return node if isinstance(node, str) else None

    @classmethod
    def create(cls, key_dir: Path, node: str, passphrase: bytes | None = None) -> NodeKeyring:
        """Generate the node's first signing and encryption keys in ``key_dir``."""
        if cls.exists(key_dir):
            raise KeyStoreError(f"a keyring already exists in {key_dir}")
        make_private_dir(key_dir)
        keyring = cls(key_dir, node, [], {}, passphrase)
        keyring._add_current_keys()
        keyring._save()
        return keyring

    @classmethod
    def load(cls, key_dir: Path, passphrase: bytes | None = None) -> NodeKeyring:
        """Load and unlock the keyring in ``key_dir``; KeyStoreError says what is wrong."""
        meta_path = key_dir / METADATA_FILE
        try:
            meta = json.loads(meta_path.read_bytes())
            node = meta["node"]
            infos = [
                replace(KeyInfo(**entry), status=KeyStatus(entry["status"]))
                for entry in meta["keys"]
            ]
        except FileNotFoundError as exc:
            raise KeyStoreError(
                f"no keyring in {key_dir}: create one with `icomm keys init`"
            ) from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyStoreError(f"keyring metadata {meta_path} is unreadable: {exc}") from exc
        private = {
            info.kid: _load_private_key(key_dir / info.file, info, passphrase)
            for info in infos
            if info.status in _BACKED_UP
        }
        keyring = cls(key_dir, node, infos, private, passphrase)
        keyring._current(use="sig")  # a keyring without current keys is unusable
        keyring._current(use="enc")
        return keyring

    @classmethod
    def load_or_create(
        cls, key_dir: Path, node: str, passphrase: bytes | None = None
    ) -> NodeKeyring:
        if cls.exists(key_dir):
            return cls.load(key_dir, passphrase)
        return cls.create(key_dir, node, passphrase)

    # -- reading ------------------------------------------------------------------

    @property
    def node(self) -> str:
        return self._node

    @property
    def key_dir(self) -> Path:
        return self._dir

    @property
    def signing_kid(self) -> str:
        return self._current(use="sig").kid

    @property
    def announcing_kid(self) -> str:
        """The key that signs a ``keys.announce``: one partners already trust.

        That is the newest previous signing key after a rotation (partners do not know
        the new one yet: the announcement is what tells them), else the current one.
        """
        previous = [i for i in self._infos if i.use == "sig" and i.status is KeyStatus.PREVIOUS]
        return max(previous, key=lambda i: i.created).kid if previous else self.signing_kid

    @property
    def encryption_kid(self) -> str:
        return self._current(use="enc").kid

    def keys(self) -> list[KeyInfo]:
        """Every key the keyring knows, current ones first."""
        return sorted(self._infos, key=_display_order)

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS to give partners: current and previous public keys, current first."""
        return {"keys": [jwk.public_jwk(self._private[i.kid]) for i in self._with(_PUBLISHED)]}

    def private_jwks(self) -> dict[str, list[dict[str, str]]]:
        """Every key still held, with its private part ``d``: a backup, handle as a secret."""
        return {"keys": [jwk.private_jwk(self._private[i.kid]) for i in self._with(_BACKED_UP)]}

    # -- changing -----------------------------------------------------------------

    def refresh(self) -> bool:
        """Pick up what another process changed (``icomm keys rotate``); True if it did."""
        if file_stamp(self._dir / METADATA_FILE) == self._stamp:
            return False
        fresh = NodeKeyring.load(self._dir, self._passphrase)
        self._infos, self._private, self._jose = fresh._infos, fresh._private, {}
        self._stamp = fresh._stamp
        return True

    def rotate(self) -> tuple[str, str]:
        """New current signing and encryption keys; the old ones become previous."""
        self._infos = [
            replace(i, status=KeyStatus.PREVIOUS) if i.status is KeyStatus.CURRENT else i
            for i in self._infos
        ]
        self._add_current_keys()
        self._save()
        return self.signing_kid, self.encryption_kid

    def retire(self, kid: str) -> None:
        """Stop publishing and using a previous key, and delete its private file."""
        info = self._info(kid)
        if info.status is KeyStatus.CURRENT:
            raise KeyStoreError(f"key {kid} is the current {info.use} key: rotate first")
        if info.status is KeyStatus.REVOKED:
            raise KeyStoreError(f"key {kid} is revoked; a revoked key stays revoked")
        self._set_status(kid, KeyStatus.RETIRED)
        self._private.pop(kid, None)
        self._jose.pop(kid, None)
        (self._dir / info.file).unlink(missing_ok=True)

    def revoke(self, kid: str) -> None:
        """Never publish nor use this key again (its private file stays for the backup)."""
        info = self._info(kid)
        if info.status is KeyStatus.CURRENT:
            raise KeyStoreError(
                f"key {kid} is the current {info.use} key: run `icomm keys rotate` first, "
                "then revoke it"
            )
        if info.status is KeyStatus.RETIRED:
            raise KeyStoreError(f"key {kid} is retired: it is already neither published nor used")
        self._set_status(kid, KeyStatus.REVOKED)
        self._jose.pop(kid, None)

    # -- for the envelope ---------------------------------------------------------

    def _signing_key(self, kid: str | None = None) -> Ed25519PrivateKey:
        """The current signing key, or a named one that may still sign (current or previous)."""
        if kid is not None and kid != self.signing_kid:
            info = self._info(kid)
            if info.use != "sig" or info.status is not KeyStatus.PREVIOUS:
                raise KeyStoreError(f"key {kid} is not a signing key that may still sign")
        key = self._private[kid or self.signing_kid]
        assert isinstance(key, Ed25519PrivateKey)  # "sig" keys are made and loaded as Ed25519
        return key

    def _decryption_keys(self) -> dict[str, OKPKey]:
        """Our encryption keys that may still open envelopes: current and previous."""
        return {
            i.kid: self._jose_key(i.kid)
            for i in self._infos
            if i.use == "enc" and i.status in _PUBLISHED
        }

    # -- internals ----------------------------------------------------------------

    def _jose_key(self, kid: str) -> OKPKey:
        key = self._jose.get(kid)
        if key is None:
            key = self._jose[kid] = jwk.jose_key(jwk.private_jwk(self._private[kid]))
        return key

    def _add_current_keys(self) -> None:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        for use in _USES:
            key = jwk.generate(use)
            kid = jwk.public_jwk(key)["kid"]
            info = KeyInfo(kid, use, KeyStatus.CURRENT, created, f"{use}-{kid}.pem")
            pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, self._encryption())
            write_atomic(self._dir / info.file, pem)
            self._infos.append(info)
            self._private[kid] = key

    def _encryption(self) -> KeySerializationEncryption:
        if self._passphrase is None:
            return NoEncryption()
        return BestAvailableEncryption(self._passphrase)

    def _save(self) -> None:
        meta: dict[str, Any] = {"node": self._node, "keys": [asdict(i) for i in self._infos]}
        write_atomic(self._dir / METADATA_FILE, json.dumps(meta, indent=2).encode("utf-8"))
        self._stamp = file_stamp(self._dir / METADATA_FILE)

    def _set_status(self, kid: str, status: KeyStatus) -> None:
        self._infos = [replace(i, status=status) if i.kid == kid else i for i in self._infos]
        self._save()

    def _info(self, kid: str) -> KeyInfo:
        for info in self._infos:
            if info.kid == kid:
                return info
        raise KeyStoreError(f"no key {kid} in the keyring of node {self._node!r}")

    def _current(self, use: jwk.Use) -> KeyInfo:
        for info in self._infos:
            if info.use == use and info.status is KeyStatus.CURRENT:
                return info
        raise KeyStoreError(f"the keyring in {self._dir} has no current {use} key")

    def _with(self, statuses: tuple[KeyStatus, ...]) -> list[KeyInfo]:
        return [i for i in self.keys() if i.status in statuses]


def _display_order(info: KeyInfo) -> tuple[int, int, str]:
    statuses = list(KeyStatus)
    return (statuses.index(info.status), 0 if info.use == "sig" else 1, info.created)


def _load_private_key(path: Path, info: KeyInfo, passphrase: bytes | None) -> jwk.PrivateKey:
    data = read_private(path)
    try:
        key = load_pem_private_key(data, password=passphrase)
    except TypeError as exc:
        if passphrase is None:
            raise KeyStoreError(
                f"the keyring is locked: {path} is passphrase-protected; "
                "give the passphrase (ICOMM_KEY_PASSPHRASE)"
            ) from exc
        raise KeyStoreError(
            f"{path} is not passphrase-protected but a passphrase was given"
        ) from exc
    except ValueError as exc:
        raise KeyStoreError(
            f"cannot unlock {path}: wrong passphrase, or the file is corrupt"
        ) from exc
    expected = Ed25519PrivateKey if info.use == "sig" else X25519PrivateKey
    if not isinstance(key, expected) or jwk.public_jwk(key)["kid"] != info.kid:
        raise KeyStoreError(f"{path} does not hold the {info.use} key {info.kid}")
    return key
