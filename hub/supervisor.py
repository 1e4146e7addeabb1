"""Several worker processes of one node, consuming the same queue, kept alive.

``icomm serve --workers N`` starts N processes with the ``spawn`` start method (a
fresh interpreter each: no event loop, connection or lock inherited from the
parent); each runs its own event loop and :class:`~hub.node.Node`. The parent only
supervises: a worker that dies unexpectedly is restarted after a short backoff
(longer if it keeps dying), SIGINT or SIGTERM is forwarded to every worker, which
finishes what it holds and closes its node; past a grace period the rest are killed.

The outbox dispatcher runs in every worker on PostgreSQL (the outbox query takes its
rows ``FOR UPDATE SKIP LOCKED``) but only in worker 0 on SQLite, which has no row
locks: two dispatchers would seal the same rows twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from hub.config import Settings

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"
BACKOFF_FIRST = 1.0  # seconds before restarting a worker that died
BACKOFF_MAX = 30.0  # ... doubling while it keeps dying soon after each start
STABLE_AFTER = 60.0  # a worker that lived this long starts the backoff afresh
GRACE = 30.0  # seconds a stopping worker gets before it is killed


def dispatches(settings: Settings, index: int) -> bool:
    """Whether worker ``index`` runs the outbox dispatcher."""
    return index == 0 or not settings.effective_database_url.startswith("sqlite")


def worker_main(settings: Settings, index: int) -> None:
    """One worker process: a node that consumes (and maybe dispatches) until signalled."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if settings.effective_database_url.startswith("sqlite"):
        from storage import sqlite_driver

        sqlite_driver.shared_with_other_processes()  # the workers write to one file
    asyncio.run(_serve(settings, index))


async def _serve(settings: Settings, index: int) -> None:
    from adapters.attached import attach  # imported in the worker: the parent needs none
    from hub.node import Node
    from hub.smtp import SmtpIngress
    from hub.web import WebServer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Node(settings) as node:
        dispatch = dispatches(settings, index)
        await attach(node)
        node.run(dispatch=dispatch, notify=index == 0)
        log.info("worker %d of node %s up (pid %d, dispatcher %s)", index, node.id,
                 os.getpid(), "on" if dispatch else "off")  # fmt: skip
        async with contextlib.AsyncExitStack() as entry_points:
            if index == 0:  # one SMTP and one web listener per node
                await entry_points.enter_async_context(SmtpIngress(node))
                await entry_points.enter_async_context(WebServer(node))
            await stop.wait()
    log.info("worker %d stopped", index)


@dataclass
class _Slot:
    index: int
    process: BaseProcess | None = None
    started: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None


class Supervisor:
    """Runs ``workers`` processes of one node until SIGINT/SIGTERM."""

    def __init__(self, settings: Settings, workers: int) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        self.settings = settings
        self.slots = [_Slot(i) for i in range(workers)]
        self._context = multiprocessing.get_context("spawn")
        self._stopping: int | None = None  # the signal received

    def _start(self, slot: _Slot) -> None:
        process = self._context.Process(
            target=worker_main,
            args=(self.settings, slot.index),
            name=f"{self.settings.node}-worker-{slot.index}",
        )
        process.start()
        slot.process, slot.started, slot.restart_at = process, time.monotonic(), None

    def _signalled(self, signum: int, _frame: FrameType | None) -> None:
        if self._stopping is None:
            self._stopping = signum
            log.info("%s received: stopping the workers", signal.Signals(signum).name)

    def run(self) -> None:
        previous = {
            sig: signal.signal(sig, self._signalled) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for slot in self.slots:
                self._start(slot)
            while self._stopping is None:
                self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _watch(self) -> None:
        """Wait a little for a worker to end; restart those whose backoff has passed."""
        running = {s.process.sentinel: s for s in self.slots if s.process is not None}
        for sentinel in wait(list(running), timeout=0.2):
            slot = running[sentinel]
            assert slot.process is not None
            slot.process.join()
            if self._stopping is not None:
                return
            lived = time.monotonic() - slot.started
            if lived > STABLE_AFTER:
                slot.backoff = BACKOFF_FIRST
            log.warning(
                "worker %d (pid %s) died with exit code %s after %.0f s; restarting in %.0f s",
                slot.index, slot.process.pid, slot.process.exitcode, lived, slot.backoff,
            )  # fmt: skip
            slot.process = None
            slot.restart_at = time.monotonic() + slot.backoff
            slot.backoff = min(slot.backoff * 2, BACKOFF_MAX)
        now = time.monotonic()
        for slot in self.slots:
            if slot.process is None and slot.restart_at is not None and slot.restart_at <= now:
                if self._stopping is None:
                    self._start(slot)
                    log.info("worker %d restarted (pid %s)", slot.index, slot.process.pid)  # type: ignore[union-attr]

    def _stop_all(self) -> None:
        """Forward the signal, wait for the workers to finish, kill what remains."""
        alive = [s.process for s in self.slots if s.process is not None and s.process.is_alive()]
        sig = self._stopping or signal.SIGTERM
        for process in alive:
            if process.pid is not None:
                try:
                    os.kill(process.pid, sig)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + GRACE
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error(
                    "worker pid %s did not stop within %.0f s: killing it", process.pid, GRACE
                )
                process.kill()
                process.join()
