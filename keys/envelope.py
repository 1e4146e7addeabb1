"""Seal and open envelopes: standard JOSE, readable by a partner in any language.

An envelope is a JWE in general JSON serialization (RFC 7516 §7.2.1; the flattened
one is accepted too, since some libraries write it for a single recipient)::

    {"protected": b64u({...hub header..., "enc": "A256GCM",
                        "cty": "icomm-message+jws" | "icomm-bundle+json",
                        "typ": "icomm-envelope+jwe"}),
     "recipients": [{"header": {"alg": "ECDH-ES+A256KW", "kid": <X25519 kid>},
                     "encrypted_key": ...}, ...],      one per current key of each node
     "iv": ..., "ciphertext": ..., "tag": ...}

Its plaintext is one compact JWS (RFC 7515, ``alg: "Ed25519"`` per RFC 9864) or, for
a bundle, a JSON array of compact JWS: one encryption for many messages, each still
signed on its own so each keeps its own proof of origin.

Opening is split in two so that one bad item does not lose a whole bundle:
``decrypt_envelope`` (the envelope is for us and intact) then ``verify_item`` per JWS;
``open_envelope`` composes them and fails on the first bad item. ``verify_item`` is
itself two steps, ``prepare_item`` (form, header, key) and ``signatures_valid`` (the
Ed25519 check, the costly part, on plain bytes), so that a bundle's signatures can be
checked together in worker threads (``keys/signatures.py``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pydantic_core
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc.errors import ExceededSizeError, JoseError
from joserfc.jwe import GeneralJSONEncryption, JWERegistry, decrypt_json, encrypt_json
from joserfc.jws import JWSRegistry
from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import SigningKey, VerifyKey

from keys.errors import EnvelopeError, Reason
from keys.keyring import NodeKeyring
from keys.truststore import TrustStore

KEY_ALGORITHM = "ECDH-ES+A256KW"
CONTENT_ENCRYPTION = "A256GCM"
SIGNATURE_ALGORITHM = "Ed25519"
#: what we accept from partners: RFC 9864's Ed25519, and the older EdDSA (Ed25519 key)
ACCEPTED_SIGNATURE_ALGORITHMS = ("Ed25519", "EdDSA")

ENVELOPE_TYPE = "icomm-envelope+jwe"
MESSAGE_TYPE = "icomm-message+jws"
BUNDLE_TYPE = "icomm-bundle+json"

# joserfc caps sizes by default (JWE ciphertext 64 KiB, protected header 1 KiB,
# 16 recipients; JWS payload 128 kB, header 512 B) to bound the work a hostile input
# can cause. We raise them deliberately: a bundle of messages easily exceeds 64 KiB,
# while large attachments travel as separately encrypted chunks referenced by digest
# (DESIGN.md), so an envelope stays far below these bounds. Lengths are base64url
# characters, as the library measures them.
MAX_CIPHERTEXT_LENGTH = 64 * 1024 * 1024
MAX_PROTECTED_HEADER_LENGTH = 64 * 1024
MAX_RECIPIENTS = 256
MAX_JWS_PAYLOAD_LENGTH = MAX_CIPHERTEXT_LENGTH
MAX_JWS_HEADER_LENGTH = 4 * 1024

# header names the envelope sets itself, or that would change how it is processed
_RESERVED_HEADER_NAMES = frozenset(
    {"alg", "enc", "zip", "cty", "typ", "crit", "kid", "epk", "apu", "apv", "jwk", "jku"}
)


class _EnvelopeRegistry(JWERegistry):
    max_ciphertext_length = MAX_CIPHERTEXT_LENGTH
    max_protected_header_length = MAX_PROTECTED_HEADER_LENGTH
    max_recipients = MAX_RECIPIENTS


class _SignatureRegistry(JWSRegistry):
    max_payload_length = MAX_JWS_PAYLOAD_LENGTH
    max_header_length = MAX_JWS_HEADER_LENGTH


# The hub's routing header names (eid, from, to, msgs, ...) are not registered JOSE
# names: strict header checking would refuse them. "crit" is still enforced.
_JWE_REGISTRY = _EnvelopeRegistry(
    algorithms=[KEY_ALGORITHM, CONTENT_ENCRYPTION], strict_check_header=False
)
# "iat" (the signing time, checked against the receiver's clock window) is a private
# JWS header parameter, covered by the signature like every protected header name.
_VERIFYING_REGISTRY = _SignatureRegistry(
    algorithms=ACCEPTED_SIGNATURE_ALGORITHMS, strict_check_header=False
)


@dataclass(frozen=True)
class SignedItem:
    """One verified message: its payload, who signed it, and the JWS as evidence."""

    payload: bytes
    kid: str
    signer_node: str
    jws: str
    signed_at: datetime | None = None  # the signed "iat", when the signer gave one


@dataclass(frozen=True)
class OpenedEnvelope:
    """A decrypted envelope whose every item verified."""

    header: dict[str, Any]
    items: list[SignedItem]


def seal(
    payloads: list[bytes],
    *,
    keyring: NodeKeyring,
    trust: TrustStore,
    recipients: list[str],
    header: dict[str, Any],
    signed_at: datetime | None = None,
    signing_kid: str | None = None,
) -> bytes:
    """Sign each payload, then encrypt them together to every recipient node.

    Raises TrustError when a recipient node has no encryption key, ValueError for
    an empty call or a ``header`` that sets a name the envelope owns.
    """
    if not payloads:
        raise ValueError("nothing to seal: payloads is empty")
    signed = sign_all(payloads, keyring, signed_at, signing_kid)
    return encrypt(signed, trust=trust, recipients=recipients, header=header)


def encrypt(
    signed: list[str], *, trust: TrustStore, recipients: list[str], header: dict[str, Any]
) -> bytes:
    """Encrypt already signed messages (compact JWS) to every recipient node.

    ``seal`` is ``sign`` then ``encrypt``; this half serves re-sending messages that
    are already signed, and tests that need an envelope around a chosen JWS.
    """
    if not signed:
        raise ValueError("nothing to encrypt: signed is empty")
    if not recipients:
        raise ValueError("nothing to seal to: recipients is empty")
    reserved = sorted(_RESERVED_HEADER_NAMES & header.keys())
    if reserved:
        raise ValueError(f"the envelope sets these header names itself: {', '.join(reserved)}")
    if len(signed) == 1:
        plaintext, content_type = signed[0].encode("ascii"), MESSAGE_TYPE
    else:
        plaintext, content_type = _compact_json(signed), BUNDLE_TYPE
    protected = {**header, "enc": CONTENT_ENCRYPTION, "cty": content_type, "typ": ENVELOPE_TYPE}
    jwe = GeneralJSONEncryption(protected, plaintext)
    for node in dict.fromkeys(recipients):
        for kid in trust.encryption_kids(node):
            jwe.add_recipient({"alg": KEY_ALGORITHM, "kid": kid}, trust.encryption_key(kid))
    try:
        serialization = encrypt_json(jwe, None, registry=_JWE_REGISTRY)
    except JoseError as exc:
        raise EnvelopeError(Reason.MALFORMED, f"cannot seal the envelope: {exc}") from exc
    return _compact_json(serialization)


def sign(
    payload: bytes,
    keyring: NodeKeyring,
    signed_at: datetime | None = None,
    signing_kid: str | None = None,
) -> str:
    """One payload as a compact JWS, signed now with the current key (or ``signing_kid``)."""
    return sign_all([payload], keyring, signed_at, signing_kid)[0]


def sign_all(
    payloads: Sequence[bytes],
    keyring: NodeKeyring,
    signed_at: datetime | None = None,
    signing_kid: str | None = None,
) -> list[str]:
    """Each payload as a compact JWS (RFC 7515 §7.1), all with one protected header.

    Written here rather than through joserfc's ``serialize_compact``: the compact form is
    three base64url segments, and the library's per-call work (header registry checks,
    key lookup) cost more than the Ed25519 signature itself (≈ 80 against 35 µs a
    message). The header is encoded once for the batch; each payload is signed with
    the raw key, by libsodium (PyNaCl): ≈ 24 against OpenSSL's ≈ 34 µs a message, the
    same bytes (Ed25519 signatures are deterministic). What is written is checked by
    joserfc and jwcrypto in the tests.
    """
    kid = signing_kid or keyring.signing_kid
    key = SigningKey(keyring._signing_key(signing_kid).private_bytes_raw())  # ≈ 22 µs a batch
    protected = {
        "alg": SIGNATURE_ALGORITHM,
        "kid": kid,
        "typ": MESSAGE_TYPE,
        "iat": int((signed_at or datetime.now(UTC)).timestamp()),
    }
    header = _b64(_compact_json(protected)) + b"."
    signed = []
    for payload in payloads:
        signing_input = header + _b64(payload)
        signature = key.sign(signing_input).signature
        signed.append((signing_input + b"." + _b64(signature)).decode("ascii"))
    return signed


def open_envelope(raw: bytes, *, keyring: NodeKeyring, trust: TrustStore) -> OpenedEnvelope:
    """Decrypt an envelope and verify every item; EnvelopeError on the first problem."""
    header, signed = decrypt_envelope(raw, keyring)
    return OpenedEnvelope(header, [verify_item(jws, trust) for jws in signed])


def decrypt_envelope(raw: bytes, keyring: NodeKeyring) -> tuple[dict[str, Any], list[str]]:
    """The protected header and the compact JWS inside an envelope sealed to us.

    Only the recipient entry for one of our keys is decrypted (its ``kid`` names it):
    the others belong to other nodes.
    """
    envelope = _parse_json_object(raw)
    protected = _protected_header(envelope)
    if protected.get("enc") != CONTENT_ENCRYPTION:
        raise EnvelopeError(
            Reason.MALFORMED,
            f"content encryption {protected.get('enc')!r} is not {CONTENT_ENCRYPTION}",
        )
    ours = keyring._decryption_keys()
    entry = _our_recipient(envelope, ours.keys())
    if entry is None:
        raise EnvelopeError(
            Reason.NOT_FOR_US, f"no recipient entry for a key of node {keyring.node!r}"
        )
    recipient_header = entry["header"]
    if recipient_header.get("alg") != KEY_ALGORITHM:
        raise EnvelopeError(
            Reason.MALFORMED,
            f"key management {recipient_header.get('alg')!r} is not {KEY_ALGORITHM}",
        )
    flattened = {
        name: envelope[name]
        for name in ("protected", "unprotected", "aad", "iv", "ciphertext", "tag")
        if name in envelope
    }
    flattened.update(header=recipient_header, encrypted_key=entry.get("encrypted_key", ""))
    try:
        plaintext = decrypt_json(
            flattened, ours[recipient_header["kid"]], registry=_JWE_REGISTRY
        ).plaintext
    except ExceededSizeError as exc:
        raise EnvelopeError(Reason.MALFORMED, f"envelope too large: {exc}") from exc
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise EnvelopeError(
            Reason.TAMPERED, f"decryption failed, the envelope was altered: {exc}"
        ) from exc
    assert plaintext is not None
    return protected, _signed_items(protected.get("cty"), plaintext)


def verify_item(jws: str, trust: TrustStore) -> SignedItem:
    """Verify one compact JWS against the trust store."""
    item = prepare_item(jws, trust)
    return item.verified(signatures_valid([item.check])[0])


@dataclass(frozen=True)
class UnverifiedItem:
    """A compact JWS whose header and signing key passed every check; its signature is
    the one check left (:func:`signatures_valid` of :attr:`check`, anywhere, even in
    another process: the check is plain bytes)."""

    jws: str
    payload: bytes
    kid: str
    signer_node: str
    signed_at: datetime | None
    #: the signer's Ed25519 public key (raw), the signature, and the signing input
    check: tuple[bytes, bytes, bytes]

    def verified(self, valid: bool) -> SignedItem:
        """The item, given the outcome of its signature check; EnvelopeError if it failed."""
        if not valid:
            raise EnvelopeError(
                Reason.BAD_SIGNATURE,
                f"signature by key {self.kid} of node {self.signer_node!r} does not verify",
            )
        return SignedItem(
            payload=self.payload,
            kid=self.kid,
            signer_node=self.signer_node,
            jws=self.jws,
            signed_at=self.signed_at,
        )


@dataclass(frozen=True)
class _Signer:
    """What a JWS protected header says, checked: who signed, with which key, when."""

    kid: str
    node: str
    public: bytes  # the raw Ed25519 public key
    signed_at: datetime | None


#: protected header segment -> its checked signer (or why not), within one bundle
Signers = dict[str, "_Signer | EnvelopeError"]


def prepare_item(jws: str, trust: TrustStore, signers: Signers | None = None) -> UnverifiedItem:
    """Everything about a compact JWS but the signature itself: its form, its header
    (algorithm, ``crit``), and a signing key the trust store holds and has not revoked.

    The items of a bundle share their protected header (one signer, one second): give
    the same ``signers`` for all of them and each header is read and checked once.
    The segments are split and decoded here (RFC 7515 §7.1: three base64url parts),
    the header checked with joserfc's registry.
    """
    segments = jws.split(".")
    if len(segments) != 3 or not jws.isascii():
        raise EnvelopeError(Reason.MALFORMED, "not a compact JWS: three base64url parts expected")
    header_segment, payload_segment, signature_segment = segments
    signers = {} if signers is None else signers
    signer = signers.get(header_segment)
    if signer is None:
        try:
            signer = _signer(header_segment, trust)
        except EnvelopeError as exc:
            signer = exc
        signers[header_segment] = signer
    if isinstance(signer, EnvelopeError):
        raise signer
    try:
        payload = _b64decode(payload_segment)
        raw_signature = _b64decode(signature_segment)
    except ValueError as exc:
        raise EnvelopeError(Reason.MALFORMED, f"not a compact JWS: {exc}") from exc
    return UnverifiedItem(
        jws=jws,
        payload=payload,
        kid=signer.kid,
        signer_node=signer.node,
        signed_at=signer.signed_at,
        check=(signer.public, raw_signature, f"{header_segment}.{payload_segment}".encode()),
    )


def _signer(segment: str, trust: TrustStore) -> _Signer:
    try:
        headers = json.loads(_b64decode(segment))
    except ValueError as exc:  # binascii.Error and JSONDecodeError are ValueErrors
        raise EnvelopeError(Reason.MALFORMED, f"not a compact JWS header: {exc}") from exc
    if not isinstance(headers, dict):
        raise EnvelopeError(Reason.MALFORMED, "the JWS header is not a JSON object")
    if headers.get("b64", True) is not True:
        raise EnvelopeError(Reason.MALFORMED, "unencoded JWS payloads (b64: false) are refused")
    alg = headers.get("alg")
    if alg not in ACCEPTED_SIGNATURE_ALGORITHMS:
        raise EnvelopeError(
            Reason.BAD_SIGNATURE, f"signature algorithm {alg!r} is not accepted (use Ed25519)"
        )
    kid = headers.get("kid")
    if not isinstance(kid, str):
        raise EnvelopeError(Reason.UNKNOWN_KEY, "the JWS names no signing key (no kid)")
    node, key = trust.signing_key(kid)
    try:
        _VERIFYING_REGISTRY.check_header(headers)
        _VERIFYING_REGISTRY.get_alg(alg).check_key(key)
        public = key.get_op_key("verify")
    except (JoseError, ValueError) as exc:
        raise EnvelopeError(Reason.BAD_SIGNATURE, f"cannot verify with key {kid}: {exc}") from exc
    if not isinstance(public, Ed25519PublicKey):
        raise EnvelopeError(Reason.BAD_SIGNATURE, f"signing key {kid} is not an Ed25519 key")
    iat = headers.get("iat")
    signed_at = (
        datetime.fromtimestamp(iat, UTC)
        if isinstance(iat, int) and not isinstance(iat, bool)
        else None
    )
    return _Signer(kid, node, public.public_bytes_raw(), signed_at)


def signatures_valid(checks: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """Whether each Ed25519 signature verifies: ``(public key, signature, signing
    input)`` each, all plain bytes (this runs in worker threads too).

    The check is libsodium's (PyNaCl): twice as fast as OpenSSL's here (≈ 43 against
    ≈ 85 µs; a receiving node makes one per message), and the same RFC 8032 Ed25519 —
    stricter only where it should be (it refuses small-order keys and non-canonical
    signatures, which no honest signer makes)."""
    keys: dict[bytes, VerifyKey] = {}
    outcomes = []
    for public, raw_signature, signing_input in checks:
        key = keys.get(public)
        if key is None:
            key = keys[public] = VerifyKey(public)
        try:
            key.verify(signing_input, raw_signature)
        except (BadSignatureError, NaclValueError):  # forged, or not 64 bytes
            outcomes.append(False)
        else:
            outcomes.append(True)
    return outcomes


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(segment: str) -> bytes:
    """base64url without padding, strictly: a character outside the alphabet is an error."""
    return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)


# An envelope's JSON (its serialization, a bundle's list of JWS) runs to megabytes, its
# strings long: pydantic-core writes and reads it ≈ 5 and ≈ 12 times as fast as the
# standard library (compact, the same bytes; UTF-8 only, as RFC 8259 asks between systems)


def _compact_json(value: Any) -> bytes:
    return pydantic_core.to_json(value)


def _parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        envelope = pydantic_core.from_json(raw)
    except ValueError as exc:
        raise EnvelopeError(Reason.MALFORMED, f"not JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise EnvelopeError(Reason.MALFORMED, "not a JSON object")
    for name in ("protected", "iv", "ciphertext", "tag"):
        if not isinstance(envelope.get(name), str):
            raise EnvelopeError(Reason.MALFORMED, f"not a JWE JSON serialization: no {name!r}")
    if "recipients" not in envelope and "header" in envelope:
        # the flattened serialization (RFC 7516 §7.2.2), which some libraries (jwcrypto)
        # produce for a single recipient: read it as a general one
        single = {k: envelope.pop(k) for k in ("header", "encrypted_key") if k in envelope}
        envelope["recipients"] = [single]
    if not isinstance(envelope.get("recipients"), list):
        raise EnvelopeError(
            Reason.MALFORMED, 'not a JWE general JSON serialization: no "recipients" list'
        )
    return envelope


def _protected_header(envelope: dict[str, Any]) -> dict[str, Any]:
    segment = envelope["protected"]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise EnvelopeError(Reason.MALFORMED, f"unreadable protected header: {exc}") from exc
    if not isinstance(header, dict):
        raise EnvelopeError(Reason.MALFORMED, "the protected header is not a JSON object")
    return header


def _our_recipient(envelope: dict[str, Any], kids: Collection[str]) -> dict[str, Any] | None:
    for entry in envelope["recipients"]:
        header = entry.get("header") if isinstance(entry, dict) else None
        kid = header.get("kid") if isinstance(header, dict) else None
        if isinstance(kid, str) and kid in kids:
            return entry
    return None


def _signed_items(content_type: Any, plaintext: bytes) -> list[str]:
    try:
        if content_type == MESSAGE_TYPE:
            return [plaintext.decode("ascii")]
        if content_type == BUNDLE_TYPE:
            items = pydantic_core.from_json(plaintext)
            if isinstance(items, list) and items and all(isinstance(i, str) for i in items):
                return items
            raise EnvelopeError(Reason.MALFORMED, "a bundle must be a non-empty list of JWS")
    except ValueError as exc:
        raise EnvelopeError(Reason.MALFORMED, f"unreadable plaintext: {exc}") from exc
    raise EnvelopeError(Reason.MALFORMED, f"unknown content type {content_type!r}")
