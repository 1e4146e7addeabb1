"""``icomm cases share``: send a validated case to partner nodes under a handling code."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.attached import attach
from adapters.sharing import HANDLING_MEANING
from hub.cli.options import ConfigFile, DataDir, console, settings_from
from hub.cli.session import with_node
from hub.node import Node
from message_schemas import CaseShare, HandlingCode


def share(
    ref: Annotated[str, typer.Argument(help="The validated case to share.")],
    to: Annotated[list[str], typer.Option("--to", help="A partner node id (repeat).")],
    handling: Annotated[
        HandlingCode,
        typer.Option(
            "--handling",
            help="H0 may be passed on; H1 analysis only, not passed on; H2 information only.",
        ),
    ],
    user: Annotated[str, typer.Option("--user", "-u", help="The admin who shares.")],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Share a validated case, with its suspects and companies, with partner nodes."""
    settings = settings_from(data_dir, config)

    async def send(node: Node) -> CaseShare:
        return await (await attach(node)).sharing.share(user, ref, to, handling)

    message = with_node(settings, send)
    console.print(
        f"case {ref} queued for {', '.join(message.to)} under {handling.value} "
        f"({HANDLING_MEANING[handling]}); it leaves while the node runs (icomm serve)"
    )
