"""The scenarios, by name, and the sizes they run at; each returns its figures as Results.

The targets are the issue's, stated at the full sizes. A ``--quick`` run measures at small
sizes: figures it cannot reach at full size (the year of SIENA, the whole CEN) are
projected from the measured rate and marked so, the raw measurement kept in the JSON
beside the projection; the rest are reported at the size measured, which the figure's
wording states.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.baseline import Latency, Throughput
from bench.network import BenchNetwork
from bench.report import Result, fmt

SIENA_YEAR = 1_800_000  # messages a year through one node (the "a year of SIENA")
WHOLE_CEN = 314_553  # validated seizures in the WCO's CEN database


@dataclass(frozen=True)
class Sizes:
    name: str
    baseline_messages: int  # raw aio-pika: persistent 1 KiB messages, confirmed and acked
    sealed_mails: int  # mails ge -> am over RabbitMQ, end to end with receipts
    siena_messages: int  # mails through the embedded default (local spool, SQLite)
    cen_seizures: int  # validated seizures projected, sealed and filed at the WCO
    latency_rate: float  # messages per second offered, steadily
    latency_seconds: float  # how long the steady rate is held
    light_rate: float  # the same at a light load first: the pipeline's own latency
    light_seconds: float
    search_messages: int  # messages in the mailbox searched
    search_cases: int  # cases (and as many suspects) searched
    search_queries: int  # timed queries (spread over the query kinds)
    export_rows: int  # seizure rows exported in a child process

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# large enough that the start of a flow (the first envelope, the last receipts) weighs
# little: at a tenth of these sizes the projections were a fifth to half slower than
# larger runs of the same flows, and the baseline swung by a third between runs. The CEN
# at 10,000 seizures projects the whole within a tenth of a full run (53-56 against 52-54 s
# on one afternoon); at 5,000 it projected 63-74 s, the start weighing a fifth of the run
QUICK = Sizes(
    name="quick",
    baseline_messages=20_000,
    sealed_mails=10_000,
    siena_messages=10_000,
    cen_seizures=10_000,
    latency_rate=1_000.0,
    latency_seconds=2.0,
    light_rate=20.0,
    light_seconds=2.0,
    search_messages=20_000,
    search_cases=10_000,
    search_queries=250,
    export_rows=20_000,
)

FULL = Sizes(
    name="full",
    baseline_messages=100_000,
    sealed_mails=100_000,
    siena_messages=SIENA_YEAR,
    cen_seizures=WHOLE_CEN,
    latency_rate=1_000.0,
    latency_seconds=60.0,
    light_rate=20.0,
    light_seconds=15.0,
    search_messages=1_000_000,
    search_cases=500_000,
    search_queries=2_000,
    export_rows=1_000_000,
)


@dataclass
class Context:
    sizes: Sizes
    amqp_url: str
    work_dir: Path | None
    broker: str | None = None  # RabbitMQ's version; None when it does not answer
    baseline: Throughput | None = None
    baseline_latency: Latency | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    needs_broker: bool
    run: Callable[[Context], Awaitable[list[Result]]]


async def sealed_throughput(ctx: Context) -> list[Result]:
    from bench.flows import mail_flow

    name, figure = "sealed-throughput", "mails/s, 2 nodes over RabbitMQ, receipted"
    assert ctx.baseline is not None  # needs_broker: run only with a baseline
    async with BenchNetwork("amqp", amqp_url=ctx.amqp_url, work_dir=ctx.work_dir) as network:
        flow = await mail_flow(network, ctx.sizes.sealed_mails)
    target = 0.5 * ctx.baseline.rate
    return [
        Result(
            name,
            f"{figure} ({flow.messages:,})",
            flow.rate,
            "msg/s",
            target,
            "higher",
            target_note=f"≥ 50 % of baseline: {fmt(target, 'msg/s')}",
            baseline=ctx.baseline.rate,
            details=flow.as_dict(),
        )
    ]


async def siena_year(ctx: Context) -> list[Result]:
    from bench.flows import mail_flow

    async with BenchNetwork("local", work_dir=ctx.work_dir) as network:
        flow = await mail_flow(network, ctx.sizes.siena_messages)
    minutes = SIENA_YEAR / flow.rate / 60
    note = (
        "ge -> am on the embedded default (local spool, SQLite), am in a process of its own "
        "(a partner's node runs on its own machine): each mail is submitted, sealed, spooled, "
        "opened, stored and receipted"
    )
    baseline = SIENA_YEAR / ctx.baseline.rate / 60 if ctx.baseline else None
    return [
        Result(
            "siena-year",
            f"1.8 M mails (measured {flow.messages:,}, {flow.rate:,.0f}/s)",
            minutes,
            "min",
            10.0,
            "lower",
            projected=flow.messages < SIENA_YEAR,
            baseline=baseline,
            baseline_note="raw aio-pika rate",
            details={**flow.as_dict(), "note": note},
        )
    ]


async def whole_cen(ctx: Context) -> list[Result]:
    from bench.flows import whole_cen as run_cen

    async with BenchNetwork("local", work_dir=ctx.work_dir) as network:
        run = await run_cen(network, ctx.sizes.cen_seizures)
    seconds = WHOLE_CEN / run.rate if run.seizures < WHOLE_CEN else run.seconds
    wco_us = f"{run.wco_cpu_us:,.0f}" if run.wco_cpu_us is not None else "?"
    note = (
        "ge -> wco on the embedded default (local spool, SQLite), wco in a process of its own, "
        f"from the click to the feed; the transmission returned after {run.transmitted_after:.1f}"
        f" of {run.seconds:.1f} s; CPU a seizure: ge {run.ge_cpu_us:,.0f} µs, wco {wco_us} µs"
    )
    baseline = WHOLE_CEN / ctx.baseline.rate if ctx.baseline else None
    return [
        Result(
            "whole-cen",
            f"314,553 seizures (measured {run.seizures:,}, {run.rate:,.0f}/s)",
            seconds,
            "s",
            60.0,
            "lower",
            projected=run.seizures < WHOLE_CEN,
            baseline=baseline,
            baseline_note="raw aio-pika rate",
            details={**run.as_dict(), "note": note},
        )
    ]


async def latency(ctx: Context) -> list[Result]:
    from bench.latency import TARGET_MS, Probe

    name, sizes = "latency", ctx.sizes
    figure = f"submit -> inbox at {sizes.latency_rate:,.0f}/s for {sizes.latency_seconds:g} s"
    async with BenchNetwork("amqp", amqp_url=ctx.amqp_url, work_dir=ctx.work_dir) as network:
        probe = await Probe.start(network)
        light = await probe.steady(sizes.light_rate, sizes.light_seconds)
        run = await probe.steady(sizes.latency_rate, sizes.latency_seconds)
    details = run.as_dict()
    notes = [f"at {run.offered_rate:,.0f}/s, {run.summary()}"]
    if run.achieved_rate < 0.95 * run.offered_rate:
        notes.append(
            f"the sender kept up only {run.achieved_rate:,.0f}/s of {run.offered_rate:,.0f}/s: "
            "the figure is mostly queueing"
        )
    details["note"] = "; ".join(notes)
    base = ctx.baseline_latency
    light_figure = f"p99 at a light {sizes.light_rate:,.0f}/s (no target)"
    p50, p99 = (base.p50_ms, base.p99_ms) if base else (None, None)
    return [
        Result(name, f"p50 {figure}", run.p50_ms, "ms", None, "lower", baseline=p50),
        Result(
            name,
            f"p99 {figure}",
            run.p99_ms,
            "ms",
            TARGET_MS,
            "lower",
            baseline=p99,
            details=details,
        ),
        Result(name, light_figure, light.p99_ms, "ms", None, "lower", details=light.as_dict()),
    ]


async def search_export(ctx: Context) -> list[Result]:
    from bench.search import search_and_export

    sizes = ctx.sizes
    async with BenchNetwork("local", work_dir=ctx.work_dir) as network:
        run = await search_and_export(
            network,
            sizes.search_messages,
            sizes.search_cases,
            sizes.search_queries,
            sizes.export_rows,
        )
    over = f"{run.messages:,} messages, {run.cases:,} cases + suspects"
    details = {"per_kind": run.per_kind, "fill_seconds": run.fill_seconds, "queries": run.queries}
    mail_kinds = {kind: figures for kind, figures in run.per_kind.items() if "mail search" in kind}
    export = run.export
    return [
        Result(
            "search-export",
            f"search p95 over {over}",
            run.p95_ms,
            "ms",
            50.0,
            "lower",
            details=details,
        ),
        Result(
            "search-export",
            f"message search p95 over {run.messages:,} messages",
            run.message_p95_ms,
            "ms",
            50.0,
            "lower",
            details={"per_kind": mail_kinds},
        ),
        Result(
            "search-export",
            f"export peak RSS, {export['rows']:,} seizures to CSV",
            export["peak_rss_mb"],
            "MB",
            200.0,
            "lower",
            details=export,
        ),
    ]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "sealed-throughput",
            "mails sealed end to end between two nodes over "
            "RabbitMQ; target ≥ 50 % of the baseline's msg/s",
            True,
            sealed_throughput,
        ),
        Scenario(
            "siena-year",
            "1.8 M mails through the embedded default; target < 10 min",
            False,
            siena_year,
        ),
        Scenario(
            "whole-cen",
            "314,553 validated seizures projected, sealed and filed at the WCO; target < 60 s",
            False,
            whole_cen,
        ),
        Scenario(
            "latency",
            "p50/p99 submit -> mailbox at a steady 1,000 msg/s; target p99 < 20 ms",
            True,
            latency,
        ),
        Scenario(
            "search-export",
            "search p95 over 1 M messages and 500 k cases < 50 ms; "
            "export of 1 M rows, peak RSS < 200 MB",
            False,
            search_export,
        ),
    )
}
