"""The far end of a scenario, in a process of its own: a partner node on its own core.

Deployed, two nodes never share a process (nor, usually, a machine): the node under test
does its own work, and the partner's work happens elsewhere. A :class:`Peer` runs a node
that :class:`~bench.network.BenchNetwork` has already set up (keys, trust, people) as a
child process, ``python -m bench.peer SPEC``, where ``SPEC`` is a JSON object:

- ``settings``: the node's settings (as ``BenchNetwork.values`` gives them),
- ``attach``: also run the case stores' adapters (the CEN intake at ``wco``),
- ``watch``: a mailbox owner whose arrivals are reported.

The child prints ``ready`` once its node runs, then one line per mail its receiver
delivers to the watched owner, ``<time.perf_counter()> <message id>``, timed when the
receiver signals it after committing (the monotonic clock is the machine's, so the parent
can compare it with its own), and stops when its standard input closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.config import Settings
from hub.node import Node
from message_schemas import Message
from storage import Database

READY = "ready"
START_SECONDS = 60.0


def watch_arrivals(node: Node, address: str) -> asyncio.Queue[str]:
    """Lines ``<time.perf_counter()> <message id>``, one per mail to ``address`` that
    ``node``'s receiver delivers, timed as it signals them after committing (the signal
    the node's subscriptions use; it names the messages delivered, so the watch costs
    the node no query). Call before ``node.run()``."""
    lines: asyncio.Queue[str] = asyncio.Queue()
    poke = node.receiver.on_inbox

    def on_inbox(messages: Sequence[tuple[Message, int]]) -> None:
        poke(messages)
        now = time.perf_counter()
        if text := "".join(f"{now} {m.id}\n" for m, _ in messages if address in m.to):
            lines.put_nowait(text)

    node.receiver.on_inbox = on_inbox
    return lines


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system, every thread) a process has used so far, from
    Linux's ``/proc``; None where there is none, or the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the fields after the command's name, which is in parentheses and may hold spaces:
    # utime and stime are the 14th and 15th of the line (proc(5)), in clock ticks
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuMark:
    """The CPU time this process and a peer's had used at one moment, to tell what a run
    cost each of them afterwards (:meth:`per_item`)."""

    here: float
    peer: float | None

    @classmethod
    def now(cls, peer: Peer) -> CpuMark:
        return cls(time.process_time(), peer.cpu_seconds())

    def per_item(self, peer: Peer, items: int) -> tuple[float, float | None]:
        """Microseconds of CPU an item since the mark: this process's, the peer's (None
        where the peer's process cannot be read)."""
        now = peer.cpu_seconds()
        spent = now - self.peer if now is not None and self.peer is not None else None
        here = (time.process_time() - self.here) / items * 1e6
        return here, spent / items * 1e6 if spent is not None else None


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

    def cpu_seconds(self) -> float | None:
        """The CPU time the peer's process has used so far (None: not running, not Linux)."""
        return cpu_seconds(self._process.pid) if self._process is not None else None

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


async def _report(lines: asyncio.Queue[str]) -> None:
    while True:
        text = [await lines.get()]
        while not lines.empty():
            text.append(lines.get_nowait())
        sys.stdout.write("".join(text))
        sys.stdout.flush()


async def _serve(spec: dict[str, Any]) -> None:
    node = await Node(Settings(**spec["settings"])).open()
    try:
        if spec.get("attach"):
            from adapters.attached import attach

            await attach(node)
        owner = spec.get("watch")
        lines = watch_arrivals(node, f"{owner}@{node.id}") if owner else None
        node.run()
        reporter = asyncio.create_task(_report(lines)) if lines is not None else None
        print(READY, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes it
        if reporter is not None:
            reporter.cancel()
    finally:
        await node.close()


if __name__ == "__main__":
    asyncio.run(_serve(json.loads(sys.argv[1])))
