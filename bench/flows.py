"""The flows end to end: mail between two nodes, and the whole CEN to the WCO.

**Mail** (the sealed-throughput and year-of-SIENA scenarios): ``ge`` submits mails (1 KiB
bodies) from nino@ge to armen@am in chunks of ``submit_many``; ``am`` receives them. The
clock runs from the first submit until every mail is in armen's inbox *and* every receipt
is back at ``ge`` (its deliveries say ``delivered``): submitted, sealed (signed and
encrypted, in bundles), published, consumed, opened (decrypted and verified), stored,
receipted, and the receipts sealed, carried and recorded in turn. Submission stays at most
``backlog`` mails ahead of the arrivals (a steady producer, not a million rows dumped into
the outbox at once). One mail goes through first, untimed, so that queues exist and
connections are warm.

**The CEN**: ``ge`` holds ``count`` validated seizures (filled directly, untimed). The
clock runs from the admin's one click, ``CenLink.transmit``, until the WCO node's CEN feed
holds them all: projection (the non-nominal allow-list), submission in chunks, sealing,
the transport, opening at ``wco``, and ``CenIntake`` filing each into the feed as it is
received. The run also says what a seizure cost each node's process in CPU, and when the
transmission returned: whether the sending or the receiving node set the pace.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from typing import Any

from adapters.attached import attach
from bench import fill
from bench.baseline import KIB
from bench.network import PASSWORD, BenchNetwork, delivered
from bench.peer import Arrivals, CpuMark, Peer
from hub.accounts import Role
from hub.node import Node
from message_schemas import Mail
from storage.cases import CaseTables

CHUNK = 500  # mails per submit_many (one transaction)
BACKLOG = 20_000  # mails submitted but not yet arrived, at most
POLL = 0.05
STALL_SECONDS = 120.0  # no progress for this long: give up, say where it stuck
BODY = ("Report of the border post, nothing to add. " * 30)[:KIB]


class Stalled(RuntimeError):
    """A scenario stopped making progress (a bug or a broker away), not merely slow."""


@dataclass(frozen=True)
class Flow:
    messages: int
    seconds: float  # first submit -> all arrived and all receipted
    submitted_after: float
    arrived_after: float
    receipted_after: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate}


def mail(number: int) -> Mail:
    return Mail(sender="nino@ge", to=["armen@am"], subject=f"report {number}", body=BODY)


async def wait_for(check: Any, goal: int, what: str, *, poll: float = POLL) -> None:
    """Poll ``check()`` until it reaches ``goal``; Stalled if it stops moving."""
    last, moved = -1, time.monotonic()
    while (value := await check()) < goal:
        if value != last:
            last, moved = value, time.monotonic()
        elif time.monotonic() - moved > STALL_SECONDS:
            raise Stalled(f"{what}: stuck at {value} of {goal} for {STALL_SECONDS:.0f} s")
        await asyncio.sleep(poll)


async def two_nodes(network: BenchNetwork) -> tuple[Node, Peer]:
    """``ge`` here, ``am`` in a process of its own reporting what reaches armen's inbox."""
    ge = await network.add("ge", people=("nino",))
    am = await network.add_elsewhere("am", people=("armen",), watch="armen")
    return ge, am


async def warm_up(ge: Node, am: Peer) -> Arrivals:
    """One mail end to end, untimed; armen's arrivals then count from zero."""
    await ge.submit(mail(-1))
    await wait_for(am.arrivals.count, 1, "warm-up mail")
    await wait_for(lambda: delivered(ge), 1, "warm-up receipt")
    am.arrivals.times.clear()
    return am.arrivals


async def mail_flow(
    network: BenchNetwork, messages: int, *, chunk: int = CHUNK, backlog: int = BACKLOG
) -> Flow:
    ge, am = await two_nodes(network)
    watch = await warm_up(ge, am)
    receipted_before = await delivered(ge)
    start = time.perf_counter()
    submitted = 0
    while submitted < messages:
        if submitted - await watch.count() >= backlog:  # far enough ahead: let it drain
            await asyncio.sleep(POLL)
            continue
        batch = [mail(submitted + i) for i in range(min(chunk, messages - submitted))]
        await ge.submit_many(batch)
        submitted += len(batch)
    submitted_after = time.perf_counter() - start
    await wait_for(watch.count, messages, "mails in armen's inbox")
    arrived_after = time.perf_counter() - start

    async def receipted() -> int:
        return await delivered(ge) - receipted_before

    await wait_for(receipted, messages, "receipts back at ge")
    seconds = time.perf_counter() - start
    return Flow(messages, seconds, submitted_after, arrived_after, seconds)


@dataclass(frozen=True)
class CenRun:
    seizures: int
    seconds: float  # click -> all in the WCO's feed
    transmitted_after: float  # transmit() returned: projected, submitted, recorded
    fill_seconds: float  # untimed preparation
    ge_cpu_us: float  # CPU a seizure, click -> feed: the sending node's process (this one)
    wco_cpu_us: float | None  # the WCO node's process (None: it cannot be read)

    @property
    def rate(self) -> float:
        return self.seizures / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate}


async def whole_cen(network: BenchNetwork, count: int) -> CenRun:
    ge = await network.add("ge")
    await ge.accounts.add("giorgi", Role.ADMIN, PASSWORD)
    link = (await attach(ge)).cen  # the case store, its CEN link, its sharing (cases@ge)
    wco = await network.add_elsewhere("wco", attach=True)  # the CEN intake on cen@wco

    began = time.perf_counter()
    await fill.seizures(ge.db, ge.id, count, status="validated", created_by="giorgi")
    fill_seconds = time.perf_counter() - began

    async def in_feed() -> int:
        async with wco.db.unit(CaseTables) as tx:
            return await tx.feed.count()

    cpu = CpuMark.now(wco)
    start = time.perf_counter()
    sent = await link.transmit("giorgi")
    transmitted_after = time.perf_counter() - start
    if len(sent) != count:
        raise RuntimeError(f"transmit sent {len(sent)} seizures, not {count}")
    await wait_for(in_feed, count, "seizures in the WCO's CEN feed", poll=0.2)
    seconds = time.perf_counter() - start
    return CenRun(count, seconds, transmitted_after, fill_seconds, *cpu.per_item(wco, count))
