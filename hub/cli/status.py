"""``icomm status``: the node's queue, dead letters, outbox, quarantine and partners.

Exit code 0 when all is well, 3 when something needs attention (dead letters, a
partner not answering): usable as a container healthcheck or a monitoring probe.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from hub.cli.options import ConfigFile, DataDir, console, settings_from
from hub.cli.session import with_node
from hub.node import Node
from hub.status import NodeStatus, collect

NEEDS_ATTENTION = 3


def status(
    stale_after: Annotated[
        float,
        typer.Option(
            "--stale-after",
            min=0,
            metavar="MINUTES",
            help="A partner with deliveries pending longer than this is not answering.",
        ),
    ] = 15,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Show the node's health; exit code 3 when something needs attention."""
    settings = settings_from(data_dir, config)

    async def read(node: Node) -> NodeStatus:
        return await collect(node, timedelta(minutes=stale_after))

    result = with_node(settings, read)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        show(result)
    if result.attention:
        raise typer.Exit(NEEDS_ATTENTION)


def show(result: NodeStatus) -> None:
    summary = Table.grid(padding=(0, 2))
    summary.add_row("node", f"[bold]{result.node}[/bold] on the {result.transport} transport")
    summary.add_row("queue", f"{result.queue_depth} envelope(s) waiting")
    dead = f"[red]{result.dead_letters}[/red]" if result.dead_letters else "0"
    summary.add_row("dead letters", dead)
    backlog = ", ".join(f"{node}: {n}" for node, n in result.outbox_backlog.items()) or "empty"
    summary.add_row("outbox", backlog)
    summary.add_row("quarantine", f"{result.quarantine} refused message(s)")
    console.print(summary)

    if result.partners:
        table = Table("partner", "last receipt", "pending", "oldest pending", "state")
        for p in result.partners:
            if p.not_answering:
                state = "[red]not answering[/red]"
            elif p.never_answered:
                state = "[yellow]never answered[/yellow]"
            else:
                state = "[green]ok[/green]"
            if not p.trusted:
                state += " [yellow](not in the trust store)[/yellow]"
            table.add_row(
                p.node,
                _ago(p.last_receipt, result.checked_at),
                str(p.pending),
                _ago(p.oldest_pending, result.checked_at),
                state,
            )
        console.print(table)
    else:
        console.print("no partner nodes in the trust store (icomm keys import NODE FILE)")

    for problem in result.attention:
        console.print(f"[red]attention:[/red] {problem}")
    if not result.attention:
        console.print("[green]all well[/green]")


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "—"
    seconds = int((now - when).total_seconds())
    if seconds < 120:
        span = f"{seconds} s"
    elif seconds < 7200:
        span = f"{seconds // 60} min"
    elif seconds < 172800:
        span = f"{seconds // 3600} h"
    else:
        span = f"{seconds // 86400} d"
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} ({span} ago)"
