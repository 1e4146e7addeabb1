"""The ``local`` transport: the embedded default, with no server to install.

Envelopes travel through a spool directory shared by the nodes of one machine,
one queue per node, maildir-style::

    <spool>/<node>/tmp/    being written
    <spool>/<node>/new/    queued:  <not-before ns>-<envelope id>-<attempt>
    <spool>/<node>/cur/    claimed by a consumer:  <name>~<pid>
    <spool>/<node>/dead/   failed every attempt, with <name>.error beside it

A publish writes to ``tmp``, fsyncs, and renames into ``new``: once it returns the
envelope survives a crash. A consumer claims a file by renaming it into ``cur``
(atomic, so several worker processes can share a queue), and deletes it only after
the handler has stored the envelope. Claims left by a process that died go back
to ``new`` when a consumer starts, so a SIGKILL loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from hub.errors import TransportError
from hub.loop import woken
from hub.transports.base import DeadLetter, Delivery, Handler
from storage.files import fsync_dir

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
#: envelopes handled at once by one consumer (their database work overlaps the next
#: envelope's decryption and verification), as a RabbitMQ consumer's prefetch allows
CONCURRENCY = 8
RECOVER_SECONDS = 10.0  # how often an idle consumer looks for claims of dead workers
_wakeups: dict[tuple[asyncio.AbstractEventLoop, Path], asyncio.Event] = {}
# claims this process is handling right now, whichever LocalTransport made them: recovery
# must not give them back just because they carry this process's pid
_in_flight: set[Path] = set()  # resolved paths in cur/


def _parse(name: str) -> tuple[str, int]:
    """``<not-before ns>-<envelope id>-<attempt>`` -> (envelope id, attempt); ids may hold '-'."""
    _, rest = name.split("-", 1)
    envelope_id, _, attempt = rest.rpartition("-")
    return envelope_id, int(attempt)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalTransport:
    name = "local"

    def __init__(
        self,
        spool: Path,
        *,
        max_attempts: int = 5,
        retry_delay: float = 1.0,
        recover_every: float = RECOVER_SECONDS,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.spool = spool
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.recover_every = recover_every

    def _queue(self, node: str) -> Path:
        queue = self.spool / node
        for sub in ("tmp", "new", "cur", "dead"):
            (queue / sub).mkdir(parents=True, exist_ok=True)
        return queue

    def _wakeup(self, node: str) -> asyncio.Event:
        key = (asyncio.get_running_loop(), (self.spool / node).resolve())
        return _wakeups.setdefault(key, asyncio.Event())

    async def connect(self) -> None:
        try:
            self.spool.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(f"cannot create the spool {self.spool}: {exc}") from exc

    async def publish(self, node: str, envelope_id: str, body: bytes) -> None:
        await asyncio.to_thread(self._write, node, f"{time.time_ns():020d}-{envelope_id}-1", body)
        self._wakeup(node).set()

    def _write(self, node: str, name: str, body: bytes) -> None:
        queue = self._queue(node)
        tmp = queue / "tmp" / f"{name}.{os.getpid()}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, body)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, queue / "new" / name)
            fsync_dir(queue / "new")
        except OSError as exc:
            raise TransportError(f"cannot queue envelope for {node}: {exc}") from exc

    def _recover(self, node: str) -> None:
        """Give back claims held by processes that are gone."""
        queue = self._queue(node)
        for claimed in (queue / "cur").iterdir():
            name, _, pid = claimed.name.rpartition("~")
            # a claim with this process's pid that no consumer here is handling is stale too
            # (the pid was reused after a crash, as in a container restarted as pid 1)
            if claimed.resolve() in _in_flight or not pid.isdigit():
                continue
            if int(pid) == os.getpid() or not _pid_alive(int(pid)):
                with contextlib.suppress(FileNotFoundError):
                    os.rename(claimed, queue / "new" / name)
                    log.info("recovered envelope %s claimed by a stopped consumer", name)

    def _claim(self, node: str, names: list[str]) -> tuple[str, Path, bytes, float] | None:
        """Claim the first envelope due, from ``names`` (a listing of ``new``, oldest
        last: consumed from the end); an empty list is refilled from the directory.
        With the claim's path (resolved, as ``_in_flight`` holds it), its body and mtime:
        read here, so that handlers start in the order of the claims."""
        queue = self._queue(node)
        now = time.time_ns()
        if not names:
            names.extend(sorted(os.listdir(queue / "new"), reverse=True))
        while names:
            name = names[-1]
            if int(name.split("-", 1)[0]) > now:
                names.clear()  # not due yet (nor anything after it): list again next time
                return None
            names.pop()
            target = (queue / "cur" / f"{name}~{os.getpid()}").resolve()
            _in_flight.add(target)
            try:
                os.rename(queue / "new" / name, target)
            except FileNotFoundError:
                _in_flight.discard(target)
                continue  # another worker took it
            return name, target, target.read_bytes(), target.stat().st_mtime
        return None

    async def consume(self, node: str, handler: Handler) -> None:
        """Hand the queue's envelopes to ``handler``, up to ``concurrency`` at once."""
        await asyncio.to_thread(self._recover, node)
        recovered_at = time.monotonic()
        wakeup = self._wakeup(node)
        listing: list[str] = []
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                if len(running) >= self.concurrency:
                    _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    continue
                claimed = await self._claim_next(node, listing)
                if claimed is None:
                    if time.monotonic() - recovered_at > self.recover_every:  # a worker died?
                        await asyncio.to_thread(self._recover, node)
                        recovered_at = time.monotonic()
                        continue
                    wakeup.clear()
                    await woken(wakeup, POLL_SECONDS)
                    continue
                running.add(asyncio.create_task(self._process(node, *claimed, handler)))
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _claim_next(
        self, node: str, listing: list[str]
    ) -> tuple[str, Path, bytes, float] | None:
        """Claim the next envelope in a worker thread. A thread cannot be stopped: if the
        consumer is cancelled meanwhile, what the thread still claims is given back to
        ``new`` (else it stayed in ``cur``, held by this live process, which recovery
        leaves alone, until a restart)."""
        claiming = asyncio.ensure_future(asyncio.to_thread(self._claim, node, listing))
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                late = await claiming
                if late is not None:
                    name, path, _, _ = late
                    os.rename(path, self._queue(node) / "new" / name)
                    _in_flight.discard(path)
            raise

    async def _process(
        self, node: str, name: str, path: Path, body: bytes, mtime: float, handler: Handler
    ) -> None:
        """Ack (delete), retry later, or dead-letter: decided here and only here."""
        try:
            await self._settle(node, name, path, body, mtime, handler)
        finally:
            _in_flight.discard(path)

    async def _settle(
        self, node: str, name: str, path: Path, body: bytes, mtime: float, handler: Handler
    ) -> None:
        envelope_id, attempt = _parse(name)
        queued_at = datetime.fromtimestamp(mtime, UTC)  # renames keep the publish time
        try:
            await handler(Delivery(envelope_id, body, attempt, queued_at))
        except asyncio.CancelledError:
            os.rename(path, self._queue(node) / "new" / name)
            raise
        except Exception as exc:  # the handler could not store it: retry, then dead-letter
            await asyncio.to_thread(self._reject, node, name, path, attempt, exc)
        else:
            # stored: acknowledged in this same step, as the cancelled branch gives it back
            # (a deletion awaited in a thread could be cut off by a stop, and the envelope
            # would come again, to be quarantined as a replay); a rename-sized operation
            os.unlink(path)

    def _reject(self, node: str, name: str, path: Path, attempt: int, exc: Exception) -> None:
        queue = self._queue(node)
        envelope_id, _ = _parse(name)
        if attempt >= self.max_attempts:
            log.error("envelope %s dead-lettered after %d attempts: %s", envelope_id, attempt, exc)
            (queue / "dead" / f"{name}.error").write_text(f"{type(exc).__name__}: {exc}\n")
            os.rename(path, queue / "dead" / name)
            return
        delay_ns = int(self.retry_delay * attempt * 1e9)
        log.warning("envelope %s attempt %d failed, will retry: %s", envelope_id, attempt, exc)
        os.rename(
            path, queue / "new" / f"{time.time_ns() + delay_ns:020d}-{envelope_id}-{attempt + 1}"
        )

    async def dead_letters(self, node: str) -> list[DeadLetter]:
        dead = self._queue(node) / "dead"
        letters = []
        for path in sorted(dead.iterdir()):
            if path.suffix == ".error":
                continue
            error_file = path.with_name(path.name + ".error")
            letters.append(
                DeadLetter(
                    id=path.name,
                    node=node,
                    body=path.read_bytes(),
                    error=error_file.read_text().strip() if error_file.exists() else "",
                    failed_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
                )
            )
        return letters

    async def retry_dead_letter(self, node: str, letter_id: str) -> None:
        queue = self._queue(node)
        path = queue / "dead" / letter_id
        if "/" in letter_id or letter_id.endswith(".error") or not path.is_file():
            raise TransportError(f"no dead letter {letter_id!r} for node {node}")
        envelope_id, _ = _parse(letter_id)
        os.rename(path, queue / "new" / f"{time.time_ns():020d}-{envelope_id}-1")
        path.with_name(letter_id + ".error").unlink(missing_ok=True)
        self._wakeup(node).set()

    async def depth(self, node: str) -> int:
        queue = self._queue(node)
        return len(os.listdir(queue / "new")) + len(os.listdir(queue / "cur"))

    async def close(self) -> None:
        return None
