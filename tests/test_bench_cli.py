"""``python -m bench --help``: the benchmark's command line names every scenario.

The benchmark is not a test: nothing here runs a scenario, times anything or uses a broker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("sealed-throughput", "siena-year", "whole-cen", "latency", "search-export")


def test_help_lists_the_options_and_every_scenario() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    for option in ("--quick", "--only", "--json", "--amqp-url"):
        assert option in result.stdout
    for name in SCENARIOS:
        assert name in result.stdout


def test_an_unknown_scenario_is_refused_with_the_names() -> None:
    from bench.__main__ import parser

    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(["--only", "nonsense"])
    assert exit_info.value.code == 2


def test_the_registry_is_the_one_the_help_lists() -> None:
    from bench.scenarios import SCENARIOS as REGISTERED

    assert tuple(REGISTERED) == SCENARIOS


def test_a_slow_machine_is_named_beside_the_baseline_and_a_usual_one_is_not() -> None:
    from bench.baseline import Throughput

    def at(rate: float) -> Throughput:
        return Throughput(messages=20_000, seconds=20_000 / rate, publish_seconds=1.0, rate=rate)

    note = at(1_385).pace_note()
    assert note is not None
    assert "36% of the 3,800 msg/s" in note
    assert at(3_000).pace_note() is None  # within a quarter of the reference
    assert at(5_075).pace_note() is None
