"""A bundle's signatures checked together: on the event loop or in worker threads, the
same verdict for every item, in order."""

from __future__ import annotations

import base64
import threading
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from keys import EnvelopeError, SignatureChecker, SignedItem, sign, verify_item
from keys.envelope import signatures_valid
from keys.signatures import POOLED_FROM

if TYPE_CHECKING:
    from conftest import Node, NodeFactory


def forged(jws: str, payload: bytes) -> str:
    """``jws`` with another payload under the same signature."""
    header, _, signature = jws.split(".")
    return f"{header}.{base64.urlsafe_b64encode(payload).rstrip(b'=').decode()}.{signature}"


def verdicts(results: list[SignedItem | EnvelopeError]) -> list[str]:
    return [
        result.reason if isinstance(result, EnvelopeError) else result.payload.decode()
        for result in results
    ]


@pytest.mark.parametrize("workers", [0, 2], ids=["on-the-loop", "two-workers"])
async def test_every_item_gets_its_own_verdict_in_order(
    workers: int, make_node: NodeFactory, ge_am: tuple[Node, Node]
) -> None:
    ge, am = ge_am
    stranger = make_node("ua")
    good = [sign(f'{{"n":{n}}}'.encode(), ge.keyring) for n in range(POOLED_FROM + 8)]
    items = [
        *good[:10],
        forged(good[0], b'{"n":999}'),
        sign(b'{"from":"ua"}', stranger.keyring),
        "not-a-jws",
        *good[10:],
    ]
    checker = SignatureChecker(workers)
    try:
        results = await checker.verify(items, am.trust)
    finally:
        checker.close()
    expected = [f'{{"n":{n}}}' for n in range(POOLED_FROM + 8)]
    assert verdicts(results) == [
        *expected[:10],
        "bad_signature",
        "unknown_key",
        "malformed",
        *expected[10:],
    ]
    assert {r.signer_node for r in results if isinstance(r, SignedItem)} == {"ge"}
    # the same verdicts as one item at a time
    for jws, result in zip(items, results, strict=True):
        if isinstance(result, SignedItem):
            assert verify_item(jws, am.trust) == result


async def test_a_large_bundle_is_checked_in_worker_threads_and_closing_stops_them(
    ge_am: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    ge, am = ge_am
    checked_in: list[str] = []

    def recording(checks: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]:
        checked_in.append(threading.current_thread().name)
        return signatures_valid(checks)

    monkeypatch.setattr("keys.signatures.signatures_valid", recording)
    checker = SignatureChecker(workers=2)
    few = [sign(b"{}", ge.keyring) for _ in range(3)]
    assert all(isinstance(r, SignedItem) for r in await checker.verify(few, am.trust))
    assert checked_in == [threading.current_thread().name]  # on the spot: the loop's thread
    assert checker._pool is None  # no thread started for a few messages

    many = [sign(b"{}", ge.keyring) for _ in range(POOLED_FROM)]
    checked_in.clear()
    assert all(isinstance(r, SignedItem) for r in await checker.verify(many, am.trust))
    assert len(checked_in) == 2  # one part a worker
    assert all(name.startswith("icomm-verify") for name in checked_in)
    workers = [t for t in threading.enumerate() if t.name.startswith("icomm-verify")]
    assert workers

    checker.close()
    assert checker._pool is None
    assert not any(worker.is_alive() for worker in workers)


@pytest.fixture
async def pooled() -> AsyncIterator[SignatureChecker]:
    """A checker with one worker thread."""
    checker = SignatureChecker(workers=1)
    try:
        yield checker
    finally:
        checker.close()


async def test_a_revoked_key_fails_every_item_it_signed(
    pooled: SignatureChecker, ge_am: tuple[Node, Node]
) -> None:
    ge, am = ge_am
    items = [sign(b"{}", ge.keyring) for _ in range(POOLED_FROM)]
    am.trust.revoke(ge.keyring.signing_kid)
    assert verdicts(await pooled.verify(items, am.trust)) == ["revoked_key"] * POOLED_FROM


def test_signatures_made_by_openssl_verify_and_forgeries_or_short_ones_do_not() -> None:
    """The keyring signs with cryptography (OpenSSL) and the check is libsodium's: the
    two agree on RFC 8032 Ed25519; a signature over other bytes, cut short, made with
    another key or of the wrong length is refused, never an exception."""
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    signed = b"eyJhbGciOiJFZDI1NTE5In0.eyJuIjoxfQ"
    signature = key.sign(signed)
    assert signatures_valid(
        [
            (public, signature, signed),
            (public, signature, signed + b"x"),
            (public, signature[:-1], signed),
            (public, signature + b"\0", signed),
            (public, other.sign(signed), signed),
            (public, b"", signed),
        ]
    ) == [True, False, False, False, False, False]
