"""The far end of a scenario, in a process of its own: a partner node on its own core.

Deployed, two nodes never share a process (nor, usually, a machine): the node under test
does its own work, and the partner's work happens elsewhere. A :class:`Peer` runs a node
that :class:`~bench.network.BenchNetwork` has already set up (keys, trust, people) as a
child process, ``python -m bench.peer SPEC``, where ``SPEC`` is a JSON object:

- ``settings``: the node's settings (as ``BenchNetwork.values`` gives them),
- ``attach``: also run the case stores' adapters (the CEN intake at ``wco``),
- ``watch``: a mailbox owner whose arrivals are reported.

The child prints ``ready`` once its node runs, then one line per mail filed in the watched
inbox, ``<time.perf_counter()> <message id>`` (the monotonic clock is the machine's, so the
parent can compare it with its own), and stops when its standard input closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hub.config import Settings
from hub.node import Node
from message_schemas import Message
from storage import Database
from storage.models import MailboxEntry

READY = "ready"
START_SECONDS = 60.0


def signal_arrivals(node: Node) -> asyncio.Event:
    """An event set whenever ``node``'s receiver has committed mail to a mailbox (the
    signal the node's subscriptions use). Call before ``node.run()``."""
    arrived = asyncio.Event()
    poke = node.receiver.on_inbox

    def on_inbox(messages: Sequence[tuple[Message, int]]) -> None:
        poke(messages)
        arrived.set()

    node.receiver.on_inbox = on_inbox
    return arrived


@dataclass
class Arrivals:
    """Mails filed in a watched inbox, with the moment each was seen there."""

    times: dict[str, float] = field(default_factory=dict)  # message id -> perf_counter
    new: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, message_id: str, at: float) -> None:
        self.times.setdefault(message_id, at)
        self.new.set()

    async def count(self) -> int:
        return len(self.times)


class Peer:
    """A node running in a child process; ``db`` reads its database from this one."""

    def __init__(
        self, values: dict[str, Any], *, attach: bool = False, watch: str | None = None
    ) -> None:
        self.values = values  # the node's settings, given explicitly (JSON-able)
        settings = Settings(**values)
        self.id = settings.node
        self.attach = attach
        self.watch = watch
        self.arrivals = Arrivals()
        self.db = Database(settings.effective_database_url)
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        spec = {
            "settings": self.values,
            "attach": self.attach,
            "watch": self.watch,
        }
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.peer",
            json.dumps(spec),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), START_SECONDS)
        if line.decode().strip() != READY:
            await self.stop()
            raise RuntimeError(f"peer node {self.id} did not start (it said {line!r})")
        self._reader = asyncio.create_task(self._read(), name=f"peer-{self.id}-arrivals")

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        async for line in self._process.stdout:
            at, _, message_id = line.decode().strip().partition(" ")
            self.arrivals.add(message_id, float(at))

    async def stop(self) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.db.close()


class InboxWatch:
    """What arrives in one inbox, reading only the entries filed since last time.

    (On SQLite one writer commits at a time, so entry ids grow in commit order.)
    """

    def __init__(self, node: Node, owner: str) -> None:
        self.node = node
        self.owner = owner
        self.last_id = 0

    async def new_entries(self) -> list[tuple[int, str]]:
        """(entry id, message id) of the entries filed since the last call."""
        query = (
            select(MailboxEntry.id, MailboxEntry.message_id)
            .where(
                MailboxEntry.id > self.last_id,
                MailboxEntry.owner == self.owner,
                MailboxEntry.folder == "inbox",
            )
            .order_by(MailboxEntry.id)
        )
        async with self.node.db.session() as session:
            rows = [(int(i), str(m)) for i, m in (await session.execute(query)).all()]
        if rows:
            self.last_id = rows[-1][0]
        return rows


async def _report(node: Node, owner: str, arrived: asyncio.Event) -> None:
    watch = InboxWatch(node, owner)
    while True:
        await arrived.wait()
        arrived.clear()
        now = time.perf_counter()
        lines = "".join(f"{now} {message_id}\n" for _, message_id in await watch.new_entries())
        sys.stdout.write(lines)
        sys.stdout.flush()


async def _serve(spec: dict[str, Any]) -> None:
    node = await Node(Settings(**spec["settings"])).open()
    try:
        if spec.get("attach"):
            from adapters.attached import attach

            await attach(node)
        arrived = signal_arrivals(node)
        node.run()
        owner = spec.get("watch")
        reporter = asyncio.create_task(_report(node, owner, arrived)) if owner else None
        print(READY, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes it
        if reporter is not None:
            reporter.cancel()
    finally:
        await node.close()


if __name__ == "__main__":
    asyncio.run(_serve(json.loads(sys.argv[1])))
