"""JSON Web Keys for the node's two key kinds, and their RFC 7638 thumbprints.

A node has Ed25519 keys that sign (``use: "sig"``) and X25519 keys that receive
encrypted envelopes (``use: "enc"``). Every kid is the RFC 7638 thumbprint of the
public key, so anyone can recompute it and nobody can choose it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

Use = Literal["sig", "enc"]
PrivateKey = Ed25519PrivateKey | X25519PrivateKey

#: the curve of each key use
CURVE: dict[str, str] = {"sig": "Ed25519", "enc": "X25519"}
#: the algorithm published with each key use (RFC 9864's fully specified Ed25519)
ALGORITHM: dict[str, str] = {"sig": "Ed25519", "enc": "ECDH-ES+A256KW"}

# RFC 7638 §3.2: the required members of each key type, in lexicographic order
_THUMBPRINT_MEMBERS: dict[str, tuple[str, ...]] = {
    "OKP": ("crv", "kty", "x"),
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url) of a key, public or private."""
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None:
        raise ValueError(f"cannot compute a thumbprint for key type {kty!r}")
    missing = [name for name in members if not isinstance(jwk.get(name), str)]
    if missing:
        raise ValueError(f"key lacks required member(s) {', '.join(missing)}")
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def generate(use: Use) -> PrivateKey:
    """A fresh private key for ``use``."""
    return Ed25519PrivateKey.generate() if use == "sig" else X25519PrivateKey.generate()


def use_of(key: PrivateKey) -> Use:
    return "sig" if isinstance(key, Ed25519PrivateKey) else "enc"


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public JWK of a private key, with its kid, use and alg."""
    use = use_of(key)
    x = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": CURVE[use], "x": b64url(x)}
    return {"kid": thumbprint(jwk), "use": use, "alg": ALGORITHM[use], **jwk}


def private_jwk(key: PrivateKey) -> dict[str, str]:
    """The public JWK plus the private part ``d``: handle as a secret."""
    d = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return {**public_jwk(key), "d": b64url(d)}


def jose_key(jwk: dict[str, Any]) -> OKPKey:
    """The JOSE library's key object for a JWK (parse once, then cache it).

    Only the key material and kid are kept: a partner's key published with
    ``alg: "EdDSA"`` must still verify a JWS with ``alg: "Ed25519"`` and the reverse,
    and which algorithms are acceptable is decided by the envelope, not the key.
    Raises ValueError for a key that cannot be parsed.
    """
    members = {k: jwk[k] for k in ("kty", "crv", "x", "d", "kid") if k in jwk}
    try:
        return OKPKey.import_key(members)
    except (JoseError, ValueError) as exc:  # binascii.Error is a ValueError
        raise ValueError(str(exc) or "invalid key encoding") from exc
