"""The partners' public keys: whom we encrypt to, whose signatures we accept.

One JSON file (``TrustStore.open(path)``), rewritten atomically on every change::

    {"keys": [{"node": "am", "kid": "...", "use": "sig", "status": "current",
               "imported": "2025-01-01T00:00:00+00:00", "jwk": {...public JWK...}}]}

A partner key's status:

* ``current``: in the node's latest JWKS; we encrypt to it (enc) and verify with it (sig).
* ``retired``: absent from the node's latest JWKS (the partner rotated). We no longer
  encrypt to it, but still verify signatures made with it (messages in flight).
* ``revoked``: never trusted again. Re-importing a revoked key does not revive it:
  it is skipped with a logged warning, so the partner's other keys still import.

The hub imports a partner's ``keys.announce`` with ``import_jwks``. Changes made by
another process (``icomm keys import`` / ``revoke`` while the hub runs) are picked up
within ``REFRESH_SECONDS``, and at once when a kid or node is not found. Two processes
changing the store at the same instant may lose one change (last writer wins).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from joserfc.jwk import OKPKey

from keys import jwk
from keys.errors import EnvelopeError, Reason, TrustError
from keys.private_file import file_stamp, make_private_dir
from storage.files import write_atomic

log = logging.getLogger(__name__)

#: how often (seconds) to look whether another process changed the file
REFRESH_SECONDS = 1.0

_USE_OF_CURVE = {curve: use for use, curve in jwk.CURVE.items()}
_PUBLIC_MEMBERS = ("kid", "use", "alg", "kty", "crv", "x")


class TrustStatus(StrEnum):
    CURRENT = "current"
    RETIRED = "retired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class TrustedKey:
    """One partner key as the trust store records it."""

    node: str
    kid: str
    use: jwk.Use
    status: TrustStatus
    imported: str
    public_jwk: dict[str, str]


class TrustStore:
    """The partners' public keys, persisted in one JSON file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._keys: dict[str, TrustedKey] = {}
        self._jose: dict[str, OKPKey] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._checked = 0.0

    @classmethod
    def open(cls, path: Path) -> TrustStore:
        """Open the trust store at ``path``, creating an empty one if missing."""
        store = cls(path)
        if not path.exists():
            make_private_dir(path.parent)
            store._save()
        store._reload()
        return store

    # -- reading ------------------------------------------------------------------

    def keys(self) -> list[TrustedKey]:
        """Every partner key, by node then status."""
        self._refresh()
        order = list(TrustStatus)
        return sorted(
            self._keys.values(), key=lambda k: (k.node, order.index(k.status), k.use != "sig")
        )

    def nodes(self) -> list[str]:
        self._refresh()
        return sorted({k.node for k in self._keys.values()})

    def export_jwks(self, node: str) -> dict[str, list[dict[str, str]]]:
        """The public keys we hold for ``node``, except revoked ones."""
        found = [k for k in self.keys() if k.node == node]
        if not found:
            raise TrustError(f"no keys for node {node!r} in the trust store")
        return {"keys": [dict(k.public_jwk) for k in found if k.status is not TrustStatus.REVOKED]}

    def encryption_kids(self, node: str) -> list[str]:
        """The kids to encrypt to for ``node``: its current encryption keys."""
        self._refresh()
        kids = self._current_encryption_kids(node)
        if not kids:  # perhaps imported a moment ago by another process
            self._refresh(force=True)
            kids = self._current_encryption_kids(node)
        if not kids:
            raise TrustError(
                f"no encryption key for node {node!r}: import its JWKS with `icomm keys import`"
            )
        return kids

    def encryption_key(self, kid: str) -> OKPKey:
        """The public key object for an encryption kid (from ``encryption_kids``)."""
        self._refresh()
        key = self._keys.get(kid)
        if key is None or key.use != "enc" or key.status is TrustStatus.REVOKED:
            raise TrustError(f"no usable encryption key {kid} in the trust store")
        return self._jose[kid]

    def signing_key(self, kid: str) -> tuple[str, OKPKey]:
        """The node and public key that ``kid`` names, for verifying a signature."""
        self._refresh()
        if kid not in self._keys:  # perhaps imported a moment ago by another process
            self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None or key.use != "sig":
            raise EnvelopeError(Reason.UNKNOWN_KEY, f"no signing key {kid!r} in the trust store")
        if key.status is TrustStatus.REVOKED:
            raise EnvelopeError(
                Reason.REVOKED_KEY, f"signing key {kid} of node {key.node!r} is revoked"
            )
        return key.node, self._jose[kid]

    def _current_encryption_kids(self, node: str) -> list[str]:
        return [
            k.kid
            for k in self._keys.values()
            if k.node == node and k.use == "enc" and k.status is TrustStatus.CURRENT
        ]

    # -- changing -----------------------------------------------------------------

    def import_jwks(self, node: str, jwks: dict[str, Any]) -> list[str]:
        """Trust ``node``'s public keys; return the kids now current for it.

        All keys are checked before anything changes: one bad key refuses the JWKS.
        Keys of ``node`` missing from ``jwks`` become retired.
        """
        if not node:
            raise TrustError("a node id is required to import keys")
        entries = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(entries, list) or not entries:
            raise TrustError(f'the JWKS for node {node!r} has no "keys" list')
        offered = [_checked_public_jwk(entry) for entry in entries]
        self._refresh(force=True)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        imported: list[str] = []
        for public in offered:
            kid = public["kid"]
            known = self._keys.get(kid)
            if known is not None and known.node != node:
                raise TrustError(f"key {kid} already belongs to node {known.node!r}")
            if known is not None and known.status is TrustStatus.REVOKED:
                log.warning("skipping revoked key %s offered again by node %r", kid, node)
                continue
            if known is None:
                use = public["use"]
                self._keys[kid] = TrustedKey(node, kid, use, TrustStatus.CURRENT, now, public)
            else:
                self._keys[kid] = replace(known, status=TrustStatus.CURRENT)
            imported.append(kid)
        offered_kids = {public["kid"] for public in offered}
        for kid, key in list(self._keys.items()):
            if key.node == node and kid not in offered_kids and key.status is TrustStatus.CURRENT:
                self._keys[kid] = replace(key, status=TrustStatus.RETIRED)
        self._save()
        return imported

    def revoke(self, kid: str) -> None:
        """Never trust ``kid`` again, for encryption or signatures."""
        self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None:
            raise TrustError(f"no key {kid!r} in the trust store")
        self._keys[kid] = replace(key, status=TrustStatus.REVOKED)
        self._save()

    # -- persistence --------------------------------------------------------------

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < REFRESH_SECONDS:
            return
        self._checked = now
        if file_stamp(self._path) != self._stamp:
            self._reload()

    def _reload(self) -> None:
        stamp = file_stamp(self._path)
        try:
            data = json.loads(self._path.read_bytes())
            keys = {
                entry["kid"]: TrustedKey(**{**entry, "status": TrustStatus(entry["status"])})
                for entry in data["keys"]
            }
            parsed = {kid: jwk.jose_key(key.public_jwk) for kid, key in keys.items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TrustError(f"trust store {self._path} is unreadable: {exc}") from exc
        self._keys, self._jose, self._stamp = keys, parsed, stamp
        self._checked = time.monotonic()

    def _save(self) -> None:
        data = {"keys": [asdict(k) for k in self._keys.values()]}
        write_atomic(self._path, json.dumps(data, indent=2).encode("utf-8"))
        self._jose = {
            kid: self._jose.get(kid) or jwk.jose_key(k.public_jwk) for kid, k in self._keys.items()
        }
        self._stamp = file_stamp(self._path)


def _checked_public_jwk(entry: Any) -> dict[str, str]:
    """A partner's key, checked and reduced to its public members; TrustError if unfit."""
    if not isinstance(entry, dict):
        raise TrustError("a JWKS entry is not a JSON object")
    if "d" in entry:
        raise TrustError(f"refusing to import a private key (kid {entry.get('kid')!r})")
    crv = entry.get("crv")
    if entry.get("kty") != "OKP" or crv not in _USE_OF_CURVE:
        raise TrustError(
            f"key {entry.get('kid')!r} is not an OKP Ed25519 or X25519 key "
            f"(kty {entry.get('kty')!r}, crv {crv!r})"
        )
    use = _USE_OF_CURVE[crv]
    if entry.get("use", use) != use:
        raise TrustError(f"key {entry.get('kid')!r}: a {crv} key cannot have use {entry['use']!r}")
    try:
        jwk.jose_key(entry)
        kid = jwk.thumbprint(entry)
    except ValueError as exc:
        raise TrustError(f"key {entry.get('kid')!r} is not a valid {crv} key: {exc}") from exc
    if "kid" in entry and entry["kid"] != kid:
        raise TrustError(f"key id {entry['kid']!r} is not the key's RFC 7638 thumbprint ({kid})")
    public = {**{m: entry[m] for m in _PUBLIC_MEMBERS if m in entry}, "kid": kid, "use": use}
    public.setdefault("alg", jwk.ALGORITHM[use])
    return {m: public[m] for m in _PUBLIC_MEMBERS}
