"""Errors of the hub, and the reasons a message is refused.

::

    HubError                      anything the hub refuses or cannot do
    ├── AddressError              an address that does not resolve (unknown, deactivated)
    ├── PermissionDenied          the sender may not do this (deactivated, wrong role)
    ├── Rejected                  an arriving message refused: goes to quarantine with .reason
    ├── NotYet                    an arriving message that may be accepted later: retried
    └── TransportError            the transport could not take or give a message

Errors from the packages below the hub are translated where the hub catches them:
``keys.EnvelopeError`` becomes ``Rejected`` with the same reason, ``message_schemas.SchemaError``
becomes ``Rejected(Reason.SCHEMA)``, ``storage.StorageError`` is left to propagate so the
transport retries and, past its limit, dead-letters the envelope.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why an arriving message went to quarantine."""

    MALFORMED = "malformed"  # not an envelope at all
    TAMPERED = "tampered"  # protected header, ciphertext, iv or tag changed
    BAD_SIGNATURE = "bad_signature"  # signature invalid, or signer is not the sender's node
    UNKNOWN_KEY = "unknown_key"  # signed with a key id not in the trust store
    REVOKED_KEY = "revoked_key"  # signed with a revoked key
    TIMESTAMP = "timestamp"  # created outside the allowed clock window
    REPLAY = "replay"  # message id already received
    MISADDRESSED = "misaddressed"  # not addressed to this node
    SCHEMA = "schema"  # payload does not parse as a known message type/version
    REFUSED = "refused"  # the adapter that takes its address refused it (Node.hand_over)


class HubError(Exception):
    """Anything the hub refuses or cannot do."""


class AddressError(HubError):
    """An address that does not resolve at this node."""


class PermissionDenied(HubError):
    """The sender may not do this."""


class Rejected(HubError):
    """An arriving message refused, with the reason it is quarantined under."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class NotYet(HubError):
    """An arriving message this node cannot accept yet, but may soon.

    A partner it trusts signed with a key it does not know yet (the partner rotated
    and its keys.announce has not arrived): the envelope is not stored, so the
    transport gives it again later and, past its attempts, keeps it in the dead
    letters, from which ``icomm dead-letters retry`` brings it back once the key
    is imported.
    """


class TransportError(HubError):
    """The transport could not take or give a message."""
