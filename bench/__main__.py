"""``python -m bench [--quick] [--only SCENARIO ...] [--json PATH] [--amqp-url URL]``.

Measures the baseline (raw aio-pika on the same broker) first, then each scenario, and
prints one table: each figure beside its target and the baseline's figure from this run.
The JSON file holds the same figures with their details, the sizes and the machine.
Unmet targets are reported, not turned into a failing exit; the exit status is 1 only when
a scenario could not be run at all (an error in the harness or the hub).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.report import Result, machine, show, skipped, write_json
from bench.scenarios import FULL, QUICK, SCENARIOS, Context

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {s.name:<18} {s.summary}" for s in SCENARIOS.values())
    cli = argparse.ArgumentParser(
        prog="python -m bench",
        description="Icomm's benchmark: each scenario's figure beside its target and the "
        "raw aio-pika baseline measured in the same run.",
        epilog=f"scenarios:\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli.add_argument(
        "--quick", action="store_true", help="small sizes (under 2 minutes); projected figures"
    )
    cli.add_argument(
        "--only",
        nargs="+",
        choices=list(SCENARIOS),
        metavar="SCENARIO",
        help=f"run only these scenarios (of: {', '.join(SCENARIOS)})",
    )
    cli.add_argument(
        "--json",
        type=Path,
        default=Path("bench-results.json"),
        metavar="PATH",
        help="where to write the figures as JSON (default: %(default)s)",
    )
    cli.add_argument(
        "--amqp-url",
        default=os.environ.get("ICOMM_AMQP_URL", DEFAULT_AMQP_URL),
        metavar="URL",
        help="the RabbitMQ broker (default: $ICOMM_AMQP_URL or %(default)s)",
    )
    cli.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the temporary node directories go (default: the system's temp dir)",
    )
    return cli


async def _baseline(ctx: Context, names: list[str], say: Any) -> list[Result]:
    from bench import baseline
    from bench.network import new_prefix

    figure = "raw aio-pika msg/s (persistent 1 KiB, confirms, quorum, manual acks)"
    ctx.broker = await baseline.broker_version(ctx.amqp_url)
    if ctx.broker is None:
        where = baseline.safe_url(ctx.amqp_url)
        say(f"[yellow]no RabbitMQ at {where}: the baseline and the broker's scenarios skipped[/]")
        return [skipped("baseline", figure, "msg/s", "higher", "no RabbitMQ at --amqp-url")]
    prefix = new_prefix()
    say(f"baseline: {ctx.sizes.baseline_messages:,} messages through RabbitMQ {ctx.broker}")
    ctx.baseline = await baseline.throughput(ctx.amqp_url, prefix, ctx.sizes.baseline_messages)
    results = [
        Result(
            "baseline",
            figure,
            ctx.baseline.rate,
            "msg/s",
            None,
            "higher",
            details=ctx.baseline.as_dict(),
        )
    ]
    if (note := ctx.baseline.pace_note()) is not None:
        results[0].details["note"] = note
    if "latency" in names:
        rate, seconds = ctx.sizes.latency_rate, ctx.sizes.latency_seconds
        say(f"baseline latency: {rate:,.0f}/s for {seconds:g} s")
        ctx.baseline_latency = await baseline.latency(ctx.amqp_url, prefix, rate, seconds)
        results[0].details["latency"] = ctx.baseline_latency.as_dict()
    return results


async def run(args: argparse.Namespace, say: Any) -> tuple[list[Result], dict[str, Any], bool]:
    sizes = QUICK if args.quick else FULL
    names = args.only or list(SCENARIOS)
    ctx = Context(sizes=sizes, amqp_url=args.amqp_url, work_dir=args.work_dir)
    results = await _baseline(ctx, names, say)
    crashed = False
    for name in names:
        scenario = SCENARIOS[name]
        if scenario.needs_broker and ctx.baseline is None:
            results.append(skipped(name, scenario.summary, "", "higher", "no RabbitMQ"))
            continue
        say(f"[bold]{name}[/]: {scenario.summary}")
        began = time.perf_counter()
        try:
            results += await scenario.run(ctx)
        except Exception as exc:
            logging.getLogger("bench").exception("scenario %s failed", name)
            results.append(skipped(name, scenario.summary, "", "higher", f"failed: {exc}"))
            crashed = True
        say(f"  done in {time.perf_counter() - began:,.1f} s")
    meta = {"sizes": sizes.as_dict(), "scenarios": names, "broker": ctx.broker}
    return results, meta, crashed


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    progress = Console(stderr=True)
    started = time.perf_counter()
    results, meta, crashed = asyncio.run(run(args, progress.print))
    elapsed = time.perf_counter() - started
    title = f"Icomm benchmark ({meta['sizes']['name']} sizes, {elapsed:,.0f} s)"
    show(Console(), results, title)
    payload = {
        "machine": machine(),
        **meta,
        "elapsed_seconds": elapsed,
        "results": [result.as_dict() for result in results],
    }
    write_json(args.json, payload)
    progress.print(f"figures written to {args.json}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
