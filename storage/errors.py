"""Errors raised by the storage layer.

::

    StorageError                 the database or blob store failed
    ├── NotFound                 a row or blob that should exist does not
    ├── AlreadyExists            a unique name (user, group) is taken
    └── BlobCorrupted            a blob no longer matches its digest or fails to decrypt

Library errors (SQLAlchemy, OS, cryptography) are translated where they are caught.
"""

from __future__ import annotations


class StorageError(Exception):
    """The database or the blob store failed."""


class NotFound(StorageError):
    """A row or blob that should exist does not."""


class AlreadyExists(StorageError):
    """A unique name is already taken."""


class BlobCorrupted(StorageError):
    """A stored blob does not decrypt or does not match its digest."""
