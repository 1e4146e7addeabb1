"""Durable files: written atomically, flushed to disk, readable by the node's user only.

Shared by everything that keeps files rather than rows: the blob store, the node's
keys, the local transport's spool.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; the file is 0600 from its first byte.

    Written to a hidden temporary file in the same folder (created 0600 with
    ``os.open``), flushed to disk, renamed over the target, and the folder flushed,
    so readers see the old or the new content, never a partial one, and a crash
    right after the call returns loses nothing.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # a leftover from a crash; O_EXCL then guarantees our mode
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
