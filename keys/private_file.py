"""Private folders (0700) and files only the node's user may read (written with storage.files)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from keys.errors import KeyStoreError

DIR_MODE = 0o700


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when another process replaces the file (None: no file)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if missing; a folder we create gets mode 0700."""
    if not path.exists():
        path.mkdir(mode=DIR_MODE, parents=True)
        path.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask


def read_private(path: Path) -> bytes:
    """Read a private file, refusing one that group or others may access."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise KeyStoreError(f"private key file {path} is missing") from exc
    if stat.S_IMODE(mode) & 0o077:
        raise KeyStoreError(
            f"private key file {path} is accessible by group or others "
            f"(mode {stat.S_IMODE(mode):04o}); refusing to use it: run `chmod 600 {path}`"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyStoreError(f"cannot read private key file {path}: {exc.strerror}") from exc
