"""The errors the keys package raises, and nothing else escapes it.

::

    KeysError                 root: catch this to handle any keys problem
    ├── KeyStoreError         the node's own keyring: missing, locked (passphrase
    │                         needed or wrong), unreadable, unsafe file permissions
    ├── TrustError            the partners' trust store: a private key offered for
    │                         import, a kid that is not its RFC 7638 thumbprint, no
    │                         encryption key known for a node, an unknown kid
    └── EnvelopeError         an envelope that cannot be sealed or opened; carries a
                              machine-readable ``reason`` (see ``Reason``) and a
                              human ``detail``, so the hub can quarantine and log it

Library errors (joserfc, cryptography, json) are translated at the boundary with
``raise ... from exc`` so callers never depend on the JOSE library.
"""

from __future__ import annotations

from enum import StrEnum


class KeysError(Exception):
    """Root of every error raised by the keys package."""


class KeyStoreError(KeysError):
    """The node's own keyring is missing, locked, unreadable or unsafe."""


class TrustError(KeysError):
    """The partners' trust store refused an operation."""


class Reason(StrEnum):
    """Why an envelope or one signed item in it was rejected."""

    MALFORMED = "malformed"
    """Not JSON, not a JWE general JSON serialization, or not a compact JWS."""
    NOT_FOR_US = "not_for_us"
    """No recipient entry for any of our (non-retired, non-revoked) encryption keys."""
    TAMPERED = "tampered"
    """Decryption or authentication failed: header, ciphertext, iv or tag changed."""
    UNKNOWN_KEY = "unknown_key"
    """The JWS kid is not in the trust store."""
    REVOKED_KEY = "revoked_key"
    """The JWS kid was revoked."""
    BAD_SIGNATURE = "bad_signature"
    """The signature does not verify, or uses an algorithm we refuse."""


class EnvelopeError(KeysError):
    """An envelope (or one item in it) was rejected for ``reason``."""

    def __init__(self, reason: Reason | str, detail: str) -> None:
        self.reason = str(Reason(reason))
        self.detail = detail
        super().__init__(f"{self.reason}: {detail}")
