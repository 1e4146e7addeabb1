"""``icomm cen``: the one-click transmission to the WCO's global CEN, and the WCO's feed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from adapters.attached import attach
from adapters.cen import CEN_ADDRESS, Sent, Transmission
from hub.cli.options import ConfigFile, DataDir, console, settings_from
from hub.cli.session import with_node
from hub.node import Node
from message_schemas import NOMINAL
from storage.cases import FeedRow

app = typer.Typer(help="Send validated seizures to the WCO's global CEN.", no_args_is_help=True)

User = Annotated[str, typer.Option("--user", "-u", help="The admin who transmits.")]
SHOWN = 50  # seizures listed after a transmission (the count says how many in all)


def _pending_table(pending: list[Transmission]) -> Table:
    table = Table(title=f"will go to {CEN_ADDRESS}")
    for column in ("case (stays here)", "revision", "date", "place", "commodities", "offenders"):
        table.add_column(column)
    for item in pending:
        message = item.message
        table.add_row(
            item.case_number or item.case_ref,
            str(item.revision),
            message.seizure_date.isoformat(),
            f"{message.office} ({message.place_kind})",
            ", ".join(f"{c.quantity} {c.unit} {c.type}" for c in message.commodities),
            ", ".join(f"{o.nationality or '?'}/{o.gender}/{o.age_band}" for o in message.offenders),
        )
    return table


def _never_leaves() -> str:
    fields = sorted({f"{record}.{name}" for record, names in NOMINAL.items() for name in names})
    return "never leaves this node: " + ", ".join(fields)


@app.command("pending")
def pending(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Show what the next transmission will send, and what never leaves."""
    settings = settings_from(data_dir, config)

    async def look(node: Node) -> list[Transmission]:
        return await (await attach(node)).cen.pending()

    items = with_node(settings, look)
    console.print(
        _pending_table(items) if items else "nothing to send: every validated seizure has gone"
    )
    console.print(f"[dim]{_never_leaves()}[/dim]")


@app.command("transmit")
def transmit(user: User, data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Send every validated seizure not yet sent (a corrected one again, as a new revision)."""
    settings = settings_from(data_dir, config)

    async def send(node: Node) -> list[Sent]:
        return await (await attach(node)).cen.transmit(user)

    sent = with_node(settings, send)
    if not sent:
        console.print("nothing to send: every validated seizure has gone")
        return
    table = Table(title=f"sent to {CEN_ADDRESS}")
    for column in ("case (stays here)", "revision", "message"):
        table.add_column(column)
    for item in sent[:SHOWN]:
        table.add_row(item.case_number or item.case_ref, str(item.revision), item.message_id)
    console.print(table)
    if len(sent) > SHOWN:
        console.print(f"… and {len(sent) - SHOWN} more")
    console.print(
        f"{len(sent)} seizure(s) queued for {CEN_ADDRESS}; they leave while the node runs "
        "(icomm serve)"
    )


@app.command("feed")
def feed(
    limit: Annotated[int, typer.Option(help="How many of the newest records.")] = 50,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """At the WCO's node: the newest seizures received for the global CEN."""
    settings = settings_from(data_dir, config)

    async def read(node: Node) -> list[FeedRow]:
        adapters = await attach(node)
        if adapters.intake is None:
            raise ValueError(f"node {node.id} is not the WCO's node: it keeps no CEN feed")
        return list(await adapters.intake.feed(limit))

    rows = with_node(settings, read)
    table = Table(title="CEN feed")
    for column in ("seizure", "from", "revision", "date", "commodities", "received"):
        table.add_column(column)
    for row in rows:
        commodities = row.record.get("commodities", [])
        table.add_row(
            row.seizure_ref,
            row.origin_node,
            str(row.revision),
            row.seizure_date.isoformat(),
            ", ".join(f"{c['quantity']} {c['unit']} {c['type']}" for c in commodities),
            f"{row.received_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
