"""What a scenario returns, and how a run is shown (a Rich table) and kept (JSON).

Every figure is a :class:`Result`: its value and unit, the target and which way is
better, and the baseline's comparable figure measured in the same run. An unmet target is
reported as such, never as an error; a scenario that could not run says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

Better = Literal["higher", "lower"]


@dataclass
class Result:
    scenario: str
    figure: str  # what was measured, in words
    value: float | None  # None: not measured (see ``error``)
    unit: str
    target: float | None
    better: Better
    target_note: str = ""  # how the target reads, e.g. "≥ 50 % of the baseline"
    baseline: float | None = None  # the baseline's comparable figure, same run
    baseline_note: str = ""
    projected: bool = False  # value projected to the full size from a smaller run
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target if self.better == "higher" else self.value < self.target

    @property
    def ratio(self) -> float | None:
        """value / baseline (how the hub compares with raw aio-pika on the same broker)."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met, "ratio": self.ratio}


def skipped(scenario: str, figure: str, unit: str, better: Better, reason: str) -> Result:
    return Result(scenario, figure, None, unit, None, better, error=reason)


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("ms", "s") and value < 100:
        number = f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    elif unit == "%":
        number = f"{value:,.0f}"
    else:
        number = f"{value:,.0f}"
    return f"{number} {unit}"


def machine() -> dict[str, Any]:
    """Where and when the figures were measured."""
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
    }
    with contextlib.suppress(OSError):
        with open("/proc/meminfo") as meminfo:
            total_kb = int(meminfo.readline().split()[1])
        info["memory_gib"] = round(total_kb / 2**20, 1)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (informational only)
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
        if commit.returncode == 0:
            info["commit"] = commit.stdout.strip()
    return info


def table(results: list[Result], title: str) -> Table:
    grid = Table(title=title, title_justify="left")
    grid.add_column("scenario", style="bold")
    grid.add_column("figure")
    grid.add_column("measured", justify="right")
    grid.add_column("target", justify="right")
    grid.add_column("baseline (same run)", justify="right")
    grid.add_column("vs baseline", justify="right")
    grid.add_column("verdict")
    for result in results:
        measured = fmt(result.value, result.unit)
        if result.projected and result.value is not None:
            measured = f"≈ {measured}"
        target = result.target_note or (
            f"{'≥' if result.better == 'higher' else '<'} {fmt(result.target, result.unit)}"
            if result.target is not None
            else "—"
        )
        baseline = fmt(result.baseline, result.unit) if result.baseline is not None else "—"
        if result.baseline_note and result.baseline is not None:
            baseline = f"{baseline} ({result.baseline_note})"
        ratio = f"{result.ratio:.2f}x" if result.ratio is not None else "—"
        if result.error:
            verdict = f"[yellow]not measured: {result.error}[/]"
        elif result.met is None:
            verdict = "[dim]no target[/]"
        elif result.met:
            verdict = "[green]met[/]" + (" (projected)" if result.projected else "")
        else:
            verdict = "[red]NOT met[/]" + (" (projected)" if result.projected else "")
        grid.add_row(result.scenario, result.figure, measured, target, baseline, ratio, verdict)
    return grid


def show(console: Console, results: list[Result], title: str) -> None:
    if not console.is_terminal:  # piped or redirected: wide enough for the table on one line
        console.width = max(console.width, 180)
    console.print(table(results, title))
    notes = [
        f"[bold]{r.scenario}[/]: {r.details['note']}" for r in results if r.details.get("note")
    ]
    for note in dict.fromkeys(notes):  # each scenario's note once
        console.print(note, highlight=False)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, default=str, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
