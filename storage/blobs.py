"""Content-addressed blobs (attachments, photos), encrypted at rest.

A blob is named by the SHA-256 of its plaintext and stored as
``nonce ‖ AES-256-GCM(ciphertext ‖ tag)`` under ``<root>/<aa>/<sha256>``; the
digest is the associated data, so a blob swapped for another fails to decrypt.
The data key is a random 256-bit key in a 0600 file beside the node's keys.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import BlobCorrupted, NotFound, StorageError
from storage.files import write_atomic

NONCE_BYTES = 12


class BlobStore:
    def __init__(self, root: Path, key_file: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._aead = AESGCM(self._load_or_create_key(key_file))

    @staticmethod
    def _load_or_create_key(key_file: Path) -> bytes:
        if key_file.exists():
            key = key_file.read_bytes()
            if len(key) != 32:
                raise StorageError(f"the blob key {key_file} is not a 256-bit key")
            return key
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = AESGCM.generate_key(bit_length=256)
        write_atomic(key_file, key)
        return key

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store data (idempotent) and return its SHA-256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(exist_ok=True, mode=0o700)
            nonce = os.urandom(NONCE_BYTES)
            write_atomic(path, nonce + self._aead.encrypt(nonce, data, digest.encode()))
        return digest

    def get(self, digest: str) -> bytes:
        path = self._path(digest)
        try:
            sealed = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"no blob {digest}") from exc
        try:
            data = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], digest.encode())
        except InvalidTag as exc:
            raise BlobCorrupted(f"blob {digest} does not decrypt: it was altered") from exc
        if hashlib.sha256(data).hexdigest() != digest:
            raise BlobCorrupted(f"blob {digest} does not match its digest")
        return data
