"""Node keys, the partners' trust store, and sealed envelopes (sign + encrypt).

The only package that touches JOSE: the hub seals and opens envelopes through this
interface and never sees a JOSE library type.
"""

from keys.envelope import (
    OpenedEnvelope,
    SignedItem,
    decrypt_envelope,
    encrypt,
    open_envelope,
    seal,
    sign,
    verify_item,
)
from keys.errors import EnvelopeError, KeysError, KeyStoreError, Reason, TrustError
from keys.jwk import thumbprint
from keys.keyring import NodeKeyring
from keys.signatures import SignatureChecker
from keys.truststore import TrustStore

__all__ = [
    "EnvelopeError",
    "KeyStoreError",
    "KeysError",
    "NodeKeyring",
    "OpenedEnvelope",
    "Reason",
    "SignatureChecker",
    "SignedItem",
    "TrustError",
    "TrustStore",
    "decrypt_envelope",
    "encrypt",
    "open_envelope",
    "seal",
    "sign",
    "thumbprint",
    "verify_item",
]
