"""The latency probe's account of where each mail's time went."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.latency import Probe, Tail
from bench.network import BenchNetwork
from bench.peer import cpu_seconds


async def test_a_latency_run_says_how_long_each_step_took_and_what_each_mail_cost(
    tmp_path: Path,
) -> None:
    async with BenchNetwork("local", work_dir=tmp_path) as network:
        probe = await Probe.start(network)
        run = await probe.steady(rate=50, seconds=0.4)

    assert run.messages == 20
    assert run.stages is not None
    # each step ends where the next begins (ge's archive before am's, am's before the
    # arrival): none is negative, and none is longer than the slowest mail's whole way
    steps = [run.stages.sealed, run.stages.received, run.stages.filed, run.stages.submitted]
    assert all(0 <= step.p50_ms <= step.p99_ms <= run.max_ms for step in steps)
    assert run.stages.summary().startswith("each mail's steps, p50/p99 ms: sealed ")
    assert "submitted " in run.stages.summary()
    # and what each mail cost both processes in CPU
    assert run.work.ge_us > 0
    assert run.work.am_us is not None  # the peer's /proc is read (Linux)
    assert "CPU a mail: ge " in run.summary()


def test_a_process_cpu_time_is_read_as_the_process_itself_counts_it() -> None:
    before = time.process_time()
    while time.process_time() - before < 0.3:  # burn some CPU of our own
        sum(range(1000))
    read = cpu_seconds(os.getpid())
    counted = time.process_time()

    assert read is not None
    # /proc counts in clock ticks (10 ms here): the two agree to a few of them
    assert abs(read - counted) < 0.05
    assert cpu_seconds(2**22 + 1) is None  # no such process (pids stay below 2**22)


def test_the_tail_counts_the_mails_over_the_threshold_and_the_windows_holding_them() -> None:
    # ten windows of 0.1 s, ten mails each, due every 10 ms (mid-slot), each taking 5 ms...
    mails = {number: (number * 0.01 + 0.005, 0.005) for number in range(100)}
    for number in range(30, 35):  # ...but five of the fourth window take 30 ms
        mails[number] = (mails[number][0], 0.030)
    mails[71] = (mails[71][0], 0.025)  # and one of the eighth 25 ms
    mails[90] = (mails[90][0], 0.020)  # 20 ms is not over 20 ms

    tail = Tail.of(mails.values(), threshold_ms=20)

    assert tail.mails_over == 6 / 100
    assert tail.windows_over == 2 / 10
    assert tail.summary() == "over 20 ms: 6.0% of the mails, in 20% of the 100-ms windows"
