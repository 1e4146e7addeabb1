"""``icomm dead-letters``: envelopes that failed every attempt, and putting them back.

Everything goes through the node's transport, so the same commands serve the local
spool and RabbitMQ.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hub.cli.options import ConfigFile, DataDir, console, fail, settings_from
from hub.cli.session import with_node
from hub.node import Node

app = typer.Typer(
    help="Envelopes that failed every delivery attempt: list them, put them back in the queue.",
    no_args_is_help=True,
)


@app.command("list")
def list_(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """List this node's dead letters: id, when it failed, the last error, size."""
    settings = settings_from(data_dir, config)

    async def listing(node: Node) -> list[tuple[str, str, str, int]]:
        return [
            (d.id, f"{d.failed_at:%Y-%m-%d %H:%M:%S}", d.error, len(d.body))
            for d in await node.transport.dead_letters(node.id)
        ]

    rows = with_node(settings, listing)
    if not rows:
        console.print("no dead letters")
        return
    table = Table("id", "failed at (UTC)", "error", "bytes")
    for letter_id, failed_at, error, size in rows:
        table.add_row(Text(letter_id), failed_at, Text(error), str(size))  # quoted: no markup
    console.print(table)


@app.command("retry")
def retry(
    letter_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="The dead letter to requeue.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Requeue every dead letter.")] = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Put a dead letter (or, with --all, every one) back in this node's queue."""
    if (letter_id is None) == (not all_):
        raise fail("give either one dead letter ID or --all", code=2)
    settings = settings_from(data_dir, config)

    async def requeue(node: Node) -> list[str]:
        if letter_id is not None:
            ids = [letter_id]
        else:
            ids = [d.id for d in await node.transport.dead_letters(node.id)]
        for one in ids:
            await node.transport.retry_dead_letter(node.id, one)
        return ids

    requeued = with_node(settings, requeue)
    for one in requeued:
        console.print("requeued", Text(one))
    if not requeued:
        console.print("no dead letters")
