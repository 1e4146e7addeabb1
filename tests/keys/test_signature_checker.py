"""A bundle's signatures checked together: in the node's process or in worker processes,
the same verdict for every item, in order."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
from collections.abc import AsyncIterator
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


async def started(checker: SignatureChecker) -> None:
    """Until the checker's workers answer (it hands them nothing before)."""
    for _ in range(300):
        if checker._pool is not None and all(f.done() for f in checker._warming):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the workers did not start within 15 s")


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "two-workers"])
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
        if workers:
            await checker.verify(good[:POOLED_FROM], am.trust)  # starts the workers
            await started(checker)
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


async def test_a_large_bundle_goes_to_the_workers_and_closing_stops_them(
    ge_am: tuple[Node, Node],
) -> None:
    ge, am = ge_am
    checker = SignatureChecker(workers=1)
    few = [sign(b"{}", ge.keyring) for _ in range(3)]
    assert all(isinstance(r, SignedItem) for r in await checker.verify(few, am.trust))
    assert checker._pool is None  # a few messages: checked on the spot, no process started

    many = [sign(b"{}", ge.keyring) for _ in range(POOLED_FROM)]
    # the first large bundle starts the workers (and is checked here while they start)
    assert all(isinstance(r, SignedItem) for r in await checker.verify(many, am.trust))
    pool = checker._pool
    assert pool is not None
    await started(checker)
    assert checker._ready() is pool
    assert all(isinstance(r, SignedItem) for r in await checker.verify(many, am.trust))
    processes = list(pool._processes.values())  # type: ignore[union-attr]
    assert processes and all(process.is_alive() for process in processes)

    checker.close()
    assert checker._pool is None
    assert not any(process.is_alive() for process in processes)


@pytest.fixture
async def pooled(ge_am: tuple[Node, Node]) -> AsyncIterator[SignatureChecker]:
    """A checker whose one worker process answers."""
    ge, am = ge_am
    checker = SignatureChecker(workers=1)
    try:
        await checker.verify([sign(b"{}", ge.keyring) for _ in range(POOLED_FROM)], am.trust)
        await started(checker)
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


async def test_a_worker_that_dies_is_replaced_and_its_batch_checked_here(
    pooled: SignatureChecker, ge_am: tuple[Node, Node]
) -> None:
    ge, am = ge_am
    items = [sign(b"{}", ge.keyring) for _ in range(POOLED_FROM)]
    first = pooled._pool
    assert first is not None
    for process in list(first._processes.values()):  # type: ignore[union-attr]
        os.kill(process.pid, signal.SIGKILL)
        process.join(10)
    assert all(isinstance(r, SignedItem) for r in await pooled.verify(items, am.trust))
    assert pooled._pool is None  # the broken pool is gone

    await pooled.verify(items, am.trust)  # the next large bundle starts new workers
    await started(pooled)
    assert pooled._pool is not None and pooled._pool is not first
    assert all(isinstance(r, SignedItem) for r in await pooled.verify(items, am.trust))


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
