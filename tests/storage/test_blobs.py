"""Attachments and photos are content-addressed and encrypted at rest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storage import BlobCorrupted, BlobStore, NotFound

SECRET = b"passport scan of the suspect, page 2" * 10


def test_blob_is_named_by_its_sha256_and_read_back(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", tmp_path / "keys" / "blob.key")
    digest = store.put(SECRET)
    assert digest == hashlib.sha256(SECRET).hexdigest()
    assert store.get(digest) == SECRET
    assert store.put(SECRET) == digest  # idempotent


def test_blob_file_holds_no_plaintext_and_key_is_private(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", tmp_path / "keys" / "blob.key")
    digest = store.put(SECRET)
    [stored] = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert stored.name == digest
    assert b"passport" not in stored.read_bytes()
    assert (tmp_path / "keys" / "blob.key").stat().st_mode & 0o777 == 0o600
    assert stored.stat().st_mode & 0o077 == 0


def test_altered_blob_is_detected(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", tmp_path / "keys" / "blob.key")
    digest = store.put(SECRET)
    [stored] = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    data = bytearray(stored.read_bytes())
    data[-1] ^= 1
    stored.write_bytes(bytes(data))
    with pytest.raises(BlobCorrupted, match=digest):
        store.get(digest)


def test_blob_swapped_for_another_is_detected(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", tmp_path / "keys" / "blob.key")
    first, second = store.put(b"first"), store.put(b"second")
    paths = {p.name: p for p in (tmp_path / "blobs").rglob("*") if p.is_file()}
    paths[first].write_bytes(paths[second].read_bytes())
    with pytest.raises(BlobCorrupted):
        store.get(first)


def test_blobs_need_the_nodes_key(tmp_path: Path) -> None:
    digest = BlobStore(tmp_path / "blobs", tmp_path / "keys" / "blob.key").put(SECRET)
    other = BlobStore(tmp_path / "blobs", tmp_path / "other" / "blob.key")
    with pytest.raises(BlobCorrupted):
        other.get(digest)
    with pytest.raises(NotFound):
        other.get("0" * 64)
