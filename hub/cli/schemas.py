"""``icomm schemas``: the message types, as JSON Schema for partners."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub.cli.options import console
from message_schemas import MESSAGE_TYPES, export_json_schemas

app = typer.Typer(help="The message types, as JSON Schema for partners.", no_args_is_help=True)


@app.command("export")
def export(
    directory: Annotated[
        Path, typer.Argument(help="Where to write the schemas (created if missing).")
    ],
) -> None:
    """Write one JSON Schema per message type, and an index.json."""
    for path in export_json_schemas(directory):
        console.print(f"wrote {path}")


@app.command("list")
def list_types() -> None:
    """List the message types this node reads, with their schema versions."""
    table = Table("type", "version", "description")
    for name, model in sorted(MESSAGE_TYPES.items()):
        table.add_row(name, str(model.SCHEMA_VERSION), model.summary().splitlines()[0])
    console.print(table)
