"""The latency probe's account of where each mail's time went."""

from __future__ import annotations

from pathlib import Path

from bench.latency import Probe
from bench.network import BenchNetwork


async def test_a_latency_run_says_how_long_each_step_took(tmp_path: Path) -> None:
    async with BenchNetwork("local", work_dir=tmp_path) as network:
        probe = await Probe.start(network)
        run = await probe.steady(rate=50, seconds=0.4)

    assert run.messages == 20
    assert run.stages is not None
    steps = [run.stages.submitted, run.stages.sealed, run.stages.received, run.stages.filed]
    # each step ends where the next begins (ge's archive before am's, am's before the
    # arrival): none is negative, and none is longer than the slowest mail's whole way
    assert all(0 <= step.p50_ms <= step.p99_ms <= run.max_ms for step in steps)
    assert run.stages.summary().startswith("each mail's steps, p50/p99 ms: submitted ")
