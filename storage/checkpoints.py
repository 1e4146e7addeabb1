"""SQLite's write-ahead log copied into the database file off the event loop.

In WAL mode every commit appends to ``<db>-wal``; a *checkpoint* copies those pages back
into the database file and, with ``synchronous=NORMAL``, is the one moment SQLite waits
for the disk (two fsyncs). Left to SQLite, the commit that takes the log past 1,000
pages runs the checkpoint itself: on a node whose statements run on the event loop's
thread (see ``storage.sqlite_driver``) that stalled the loop — every few hundred
commits, one took 5 to 13 ms instead of 0.1, and every message in flight waited with it.

So a node's connections set ``wal_autocheckpoint=0`` and a :class:`Checkpointer` does
the work instead: a short while after a write, a ``PASSIVE`` checkpoint on a connection
of its own, in a worker thread (SQLite releases the GIL while it waits for the disk).
A passive checkpoint takes no lock that writers or readers wait on; what it cannot copy
yet (pages a reader still needs) is copied by the next one. (The last connection to
close copies what is left, as SQLite always does.)

The log starts over from its beginning only when a writer begins after a checkpoint
that copied *all* of it; under a steady stream of commits a checkpoint running beside
them never quite does, and the file grew by gigabytes. So once the log is longer than
:data:`RESTART_PAGES`, the checkpoint after the passive one runs holding the process's
writer lock (still in the thread; the event loop goes on): it copies only the few pages
written meanwhile, and the next write transaction starts the log over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: how long after a write the log is copied (writes meanwhile share the checkpoint)
CHECKPOINT_SECONDS = 0.2
#: a log of more pages than this (16 MiB of 4 KiB pages) is made to start over
RESTART_PAGES = 4096


class Checkpointer:
    """Checkpoints one SQLite database's log in a worker thread, after writes."""

    def __init__(self, path: Path, writer: asyncio.Lock) -> None:
        self.path = path
        self.writer = writer  # held by this process's write transactions
        self._wrote = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._connection: sqlite3.Connection | None = None
        self._using = threading.Lock()  # a checkpoint still running when close is called

    def wrote(self) -> None:
        """A write transaction ended: checkpoint soon (starts the loop on first use)."""
        self._wrote.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"checkpoint {self.path.name}"
            )

    async def _run(self) -> None:
        while True:
            await self._wrote.wait()
            await asyncio.sleep(CHECKPOINT_SECONDS)
            self._wrote.clear()
            try:
                _, logged, _ = await asyncio.to_thread(self.checkpoint)
                if logged > RESTART_PAGES:
                    async with self.writer:
                        await asyncio.to_thread(self.checkpoint)
            except sqlite3.Error as exc:  # the next write tries again
                log.warning("checkpoint of %s failed: %s", self.path, exc)

    def checkpoint(self) -> tuple[int, int, int]:
        """One passive checkpoint: (busy, pages in the log, pages copied), as SQLite says."""
        with self._using:
            if self._connection is None:
                self._connection = sqlite3.connect(self.path, check_same_thread=False)
            # read to the end and closed: a statement left stepping holds a read snapshot,
            # and the log could then never start over (it grew by gigabytes)
            cursor = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            try:
                [(busy, logged, copied)] = cursor.fetchall()
            finally:
                cursor.close()
            return busy, logged, copied

    async def close(self) -> None:
        """Stop the loop and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._using:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
