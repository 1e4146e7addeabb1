"""``icomm quarantine`` and ``icomm envelopes``: what was refused, and the evidence archive."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hub.cli.options import ConfigFile, DataDir, console, settings_from
from hub.cli.session import with_node
from hub.node import Node

quarantine = typer.Typer(
    help="Messages refused on arrival, kept with the reason.", no_args_is_help=True
)
envelopes = typer.Typer(help="The evidence archive of sealed envelopes.", no_args_is_help=True)


@quarantine.command("list")
def quarantine_list(
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many.")] = 100,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """List quarantined messages, newest first, with the reason for each."""
    settings = settings_from(data_dir, config)

    async def listing(node: Node) -> list[tuple[object, ...]]:
        async with node.db.transaction() as tx:
            return [
                (q.id, q.received_at, q.reason, q.envelope_id, q.message_id, q.detail, len(q.raw))
                for q in await tx.quarantine.list(limit)
            ]

    rows = with_node(settings, listing)
    if not rows:
        console.print("the quarantine is empty")
        return
    table = Table("#", "received", "reason", "envelope", "message", "detail", "bytes")
    for qid, at, reason, eid, mid, detail, size in rows:
        # what arrived is quoted in these cells: plain Text, so "[...]" is never rich markup
        table.add_row(
            str(qid),
            f"{at:%Y-%m-%d %H:%M:%S}",
            Text(str(reason)),
            Text(str(eid or "")),
            Text(str(mid or "")),
            Text(str(detail)),
            str(size),
        )
    console.print(table)


@envelopes.command("export")
def envelopes_export(
    directory: Annotated[Path, typer.Argument(help="Where to write <envelope id>.jwe.json files.")],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Write every sent and received envelope byte for byte as it travelled."""
    settings = settings_from(data_dir, config)
    directory.mkdir(parents=True, exist_ok=True)

    async def export(node: Node) -> int:
        count = 0
        async with node.db.transaction() as tx:
            async for envelope in tx.envelopes.stream():
                (directory / f"{envelope.id}.jwe.json").write_bytes(envelope.raw)
                count += 1
        return count

    count = with_node(settings, export)
    console.print(f"wrote {count} envelope(s) to {directory}")
