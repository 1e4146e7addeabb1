"""Latency at a steady rate: each mail from its submit to armen's inbox, ge -> am over RabbitMQ.

Mails are offered at ``rate`` a second, each submitted on its own (one ``submit``, one
transaction, as a person or the SMTP ingress would), concurrently so that a slow submit does
not delay the next. Each is timed from its *scheduled* submit time, so that a sender that
falls behind shows up in the figure instead of hiding it (no coordinated omission). Arrival
is the moment ``am``'s receiver signals new mail after committing it (the signal the node's
subscriptions use, which names the mails delivered): ``am`` runs in a process of its own
(see ``bench.peer``), which reports each mail for armen with that moment.

The same nodes run a light load first (a few mails a second): the pipeline's own latency,
apart from any queueing, which tells how far the target is at the heavy rate.

Each run also says where the time went (:class:`Stages`), read afterwards from what the
nodes record anyway: the submit's return here, the moment ``ge`` archived the envelope
that carried the mail (it is sealed in that transaction), the moment ``am`` archived it on
arrival (after decrypting and verifying, in the transaction that files the mail), and the
arrival signal. It says what each mail cost both processes in CPU (:class:`Work`: a far
steadier figure than a p99 for comparing two versions, which differ by more than their
noise only over many runs), and the shape of the tail (:class:`Tail`): whether the mails
over the target came in a few bursts, or in most moments of the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bench.baseline import Latency, paced, percentile
from bench.flows import mail, two_nodes, wait_for, warm_up
from bench.network import BenchNetwork
from bench.peer import Arrivals, CpuMark, Peer
from hub.node import Node
from storage import Database

MAX_IN_FLIGHT = 500  # submits awaiting their transaction at once
TARGET_MS = 20.0  # the p99 the issue asks for at 1,000 mails a second
WINDOW_SECONDS = 0.1  # the tail's windows


@dataclass(frozen=True)
class Stage:
    """One step of a mail's way, in milliseconds over the mails of a run."""

    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Stage:
        ms = [value * 1000 for value in seconds]
        return cls(percentile(ms, 0.50), percentile(ms, 0.99))


@dataclass(frozen=True)
class Stages:
    """Where a mail's time went, step by step (the p99s of the steps do not add up).

    The three steps follow one another; ``submitted`` is the submitter's own wait, beside
    them: a node that runs its dispatcher seals a mail in the submit's transaction, which
    commits (and the submit returns) after the envelope was archived."""

    sealed: Stage  # due -> its envelope sealed and archived at ge (its group, the transaction)
    received: Stage  # -> archived at am (publish, broker, am's consumer, decrypt, verify)
    filed: Stage  # -> the arrival signal (am's transaction commits, the inbox is read)
    submitted: Stage  # due -> ``submit`` returned

    def summary(self) -> str:
        steps = ", ".join(
            f"{name} {stage.p50_ms:.1f}/{stage.p99_ms:.1f}" for name, stage in vars(self).items()
        )
        return f"each mail's steps, p50/p99 ms: {steps}"


@dataclass(frozen=True)
class Work:
    """CPU time a mail (user and system, microseconds) of each node's process over a run.

    ``ge``'s process also runs this harness (the mails made, the pacing, the arrivals
    read: ≈ 5 % of it), as a node's own SMTP server or web API would run in it."""

    ge_us: float
    am_us: float | None  # None: the peer's process cannot be read (not Linux)

    def summary(self) -> str:
        am = f"{self.am_us:,.0f}" if self.am_us is not None else "?"
        return f"CPU a mail: ge {self.ge_us:,.0f} µs (with the harness), am {am} µs"


@dataclass(frozen=True)
class Tail:
    """The mails over a latency threshold, and how they spread over the run: the share of
    the run's windows (of :data:`WINDOW_SECONDS`, by when the mails were due) holding one.
    Few windows: bursts (a stall, a pause); most windows: the whole distribution is wide."""

    threshold_ms: float
    mails_over: float  # share of the mails, 0..1
    windows_over: float  # share of the windows, 0..1

    @classmethod
    def of(cls, due_and_latency: Iterable[tuple[float, float]], threshold_ms: float) -> Tail:
        """From each mail's due time (seconds, any origin) and latency (seconds)."""
        windows: dict[int, bool] = {}
        mails = over = 0
        for due, seconds in due_and_latency:
            late = seconds * 1000 > threshold_ms
            window = int(due // WINDOW_SECONDS)
            windows[window] = windows.get(window, False) or late
            mails += 1
            over += late
        return cls(
            threshold_ms,
            over / mails if mails else 0.0,
            sum(windows.values()) / len(windows) if windows else 0.0,
        )

    def summary(self) -> str:
        return (
            f"over {self.threshold_ms:g} ms: {self.mails_over:.1%} of the mails, in "
            f"{self.windows_over:.0%} of the {WINDOW_SECONDS * 1000:g}-ms windows"
        )


@dataclass(frozen=True)
class Steady(Latency):
    """A latency run of the hub (achieved rate: submits started per second)."""

    submit_p50_ms: float  # the submit call alone
    submit_p99_ms: float
    stages: Stages | None  # None: an envelope of the run was not found in an archive
    work: Work
    tail: Tail

    def summary(self) -> str:
        """What the run says beyond its percentiles, for the scenario's note."""
        parts = [self.stages.summary()] if self.stages else []
        return "; ".join([*parts, self.work.summary(), self.tail.summary()])


class Probe:
    """ge (here) -> am (a process of its own) over the network's transport, arrivals at am
    timed as they commit."""

    def __init__(self, ge: Node, am: Peer, arrivals: Arrivals) -> None:
        self.ge, self.am, self.arrivals = ge, am, arrivals
        self.numbered = 0

    @classmethod
    async def start(cls, network: BenchNetwork) -> Probe:
        ge, am = await two_nodes(network)
        return cls(ge, am, await warm_up(ge, am))

    async def steady(self, rate: float, seconds: float) -> Steady:
        """Offer ``rate`` mails a second for ``seconds``; wait until every one has arrived."""
        count = max(1, int(rate * seconds))
        scheduled: dict[str, float] = {}
        submit_times: list[float] = []
        submitted: dict[str, float] = {}  # message id -> when its submit returned
        in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

        async def submit(due: float) -> None:
            try:
                self.numbered += 1
                message = mail(self.numbered)
                scheduled[message.id] = due
                began = time.perf_counter()
                await self.ge.submit(message)
                submitted[message.id] = time.perf_counter()
                submit_times.append(submitted[message.id] - began)
            finally:
                in_flight.release()

        async def arrivals() -> int:
            return sum(1 for message_id in scheduled if message_id in self.arrivals.times)

        # only the submits still running are held: thirty thousand finished tasks kept to
        # the end made every full collection of the garbage collector (the node's own
        # process) walk them, a pause of tens of milliseconds the node would not have
        running: set[asyncio.Task[None]] = set()
        failed: list[BaseException] = []

        def finished(task: asyncio.Task[None]) -> None:
            running.discard(task)
            if not task.cancelled() and (error := task.exception()) is not None:
                failed.append(error)

        cpu = CpuMark.now(self.am)
        start = time.perf_counter()
        async for due in paced(start, count, rate):
            await in_flight.acquire()
            task = asyncio.create_task(submit(due))
            running.add(task)
            task.add_done_callback(finished)
        offered_for = time.perf_counter() - start
        await asyncio.gather(*running, return_exceptions=True)
        if failed:
            raise failed[0]
        await wait_for(arrivals, count, "mails timed into armen's inbox")
        work = Work(*cpu.per_item(self.am, count))
        latencies = {m: self.arrivals.times[m] - due for m, due in scheduled.items()}
        submit_ms = [value * 1000 for value in submit_times]
        return Steady(
            **Latency.figures(rate, count, offered_for, list(latencies.values())),
            submit_p50_ms=percentile(submit_ms, 0.50),
            submit_p99_ms=percentile(submit_ms, 0.99),
            stages=await self._stages(scheduled, submitted),
            work=work,
            tail=Tail.of(((due, latencies[m]) for m, due in scheduled.items()), TARGET_MS),
        )

    async def _stages(
        self, scheduled: Mapping[str, float], submitted: Mapping[str, float]
    ) -> Stages | None:
        """Each mail's steps, from the envelopes archived at ge (out) and at am (in)."""
        sealed = await _archived(self.ge.db, "out", scheduled)
        received = await _archived(self.am.db, "in", scheduled)
        if len(sealed) < len(scheduled) or len(received) < len(scheduled):
            return None
        arrived = self.arrivals.times
        return Stages(
            sealed=Stage.of([sealed[m] - due for m, due in scheduled.items()]),
            received=Stage.of([received[m] - sealed[m] for m in scheduled]),
            filed=Stage.of([arrived[m] - received[m] for m in scheduled]),
            submitted=Stage.of([submitted[m] - due for m, due in scheduled.items()]),
        )


async def _archived(db: Database, direction: str, wanted: Mapping[str, float]) -> dict[str, float]:
    """When the envelope carrying each wanted message was archived, on the clock of
    ``time.perf_counter`` (the archive's time is UTC; both clocks are this machine's)."""
    offset = time.time() - time.perf_counter()
    times: dict[str, float] = {}
    async with db.reading() as tx:
        async for envelope in tx.envelopes.stream():
            if envelope.direction != direction:
                continue
            at = envelope.created_at.timestamp() - offset
            for message_id in envelope.message_ids:  # oldest first: the first one counts
                if message_id in wanted:
                    times.setdefault(message_id, at)
    return times
