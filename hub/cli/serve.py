"""``icomm serve``: run one node until stopped, in one process or several."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from adapters.attached import attach
from hub.cli.options import ConfigFile, DataDir, console, settings_from
from hub.cli.session import with_node
from hub.node import Node
from hub.smtp import SmtpIngress, ensure_certificate
from hub.supervisor import LOG_FORMAT, Supervisor, dispatches


def serve(
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes consuming this node's queue; the parent restarts any that dies.",
        ),
    ] = 1,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Run this node: dispatch its outbox and consume its queue until SIGINT/SIGTERM."""
    # imported here, as the supervisor's workers do: the web app builds its routes' models
    # as it is imported (≈ a fifth of `icomm`'s start), which no other command needs
    from hub.web import WebServer
    from hub.web.security import ensure_secret_key

    settings = settings_from(data_dir, config)
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    def announce(node: Node) -> None:
        if node.id == "xx":
            console.print(
                "[yellow]this node has no id of its own yet ('xx'): set ICOMM_NODE to your "
                "ISO 3166 code (or 'wco') before it links with partners[/yellow]"
            )
        how = f"{workers} worker processes" if workers > 1 else "one process"
        console.print(
            f"node [bold]{node.id}[/bold] serving on the {node.transport.name} transport "
            f"with {how}; data in {settings.data_dir.resolve()} (Ctrl-C to stop)"
        )

    if workers > 1:

        async def prepare(node: Node) -> None:
            # migrations, first keys and the SMTP certificate once, before the workers race
            announce(node)
            ensure_certificate(settings)
            ensure_secret_key(settings.data_dir)

        with_node(settings, prepare)
        if not dispatches(settings, 1):
            console.print("SQLite: worker 0 alone dispatches the outbox (no row locks)")
        for handler in logging.getLogger().handlers:
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
        Supervisor(settings, workers).run()
        console.print("stopped")
        return

    async def run(node: Node) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await attach(node)
        node.run()
        announce(node)
        async with SmtpIngress(node) as ingress, WebServer(node) as web:
            console.print(
                f"SMTP ingress on {settings.smtp_host}:{ingress.port} (STARTTLS, then AUTH) "
                f"for @{settings.effective_mail_domain}"
            )
            console.print(f"web app on {web.url}")
            await stop.wait()
        console.print("stopping…")

    with_node(settings, run)
