"""``icomm mail``: send and read Icomm mail from the command line."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub.cli.options import ConfigFile, DataDir, console, fail, settings_from
from hub.cli.session import with_node
from hub.mailbox import OpenedMessage
from hub.node import Node
from message_schemas import Attachment, Mail, Message
from storage import FolderItem, StoredDelivery

app = typer.Typer(help="Send and read Icomm mail.", no_args_is_help=True)

User = Annotated[str, typer.Option("--user", "-u", help="The mailbox owner (local user name).")]


@app.command("send")
def send(
    sender: Annotated[str, typer.Option("--from", help="Sending user (local name).")],
    to: Annotated[list[str], typer.Option("--to", help="Recipient address local@node (repeat).")],
    subject: Annotated[str, typer.Option("--subject")],
    body: Annotated[str, typer.Option("--body")] = "",
    attach: Annotated[
        list[Path] | None, typer.Option("--attach", help="A file to attach (repeat).", exists=True)
    ] = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Submit a mail; it leaves when the node runs (``icomm serve``)."""
    settings = settings_from(data_dir, config)
    attachments = [
        Attachment.from_bytes(
            path.name,
            path.read_bytes(),
            media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        )
        for path in attach or []
    ]
    try:
        mail = Mail(
            sender=f"{sender}@{settings.node}",
            to=to,
            subject=subject,
            body=body,
            attachments=attachments,
        )
    except ValueError as exc:
        raise fail(f"this mail cannot be sent: {exc}") from exc

    async def submit(node: Node) -> Message:
        return await node.submit(mail)

    sent = with_node(settings, submit)
    console.print(f"queued {sent.id}")


@app.command("list")
def list_folder(
    user: User,
    folder: Annotated[str, typer.Option("--folder", help="inbox or sent.")] = "inbox",
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """List a folder of a mailbox, newest first."""
    settings = settings_from(data_dir, config)

    async def listing(node: Node) -> tuple[list[FolderItem], dict[str, dict[str, int]]]:
        items = await node.mailbox.folder(user, folder)
        return items, await node.mailbox.delivery_summary([i.message.id for i in items])

    items, deliveries = with_node(settings, listing)
    sent = folder == "sent"
    table = Table(
        "id", "to" if sent else "from", "subject", "created", "delivery" if sent else "read"
    )
    for column in (0, 3, 4):
        table.columns[column].no_wrap = True
    for item in items:
        message = item.message
        counts = deliveries.get(message.id, {})
        table.add_row(
            message.id,
            ", ".join(message.recipients) if sent else message.sender,
            message.subject or f"({message.type})",
            f"{message.created:%Y-%m-%d %H:%M}",
            ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
            if sent
            else ("" if item.read_at is None else "✓"),
        )
    console.print(table)


@app.command("show")
def show(
    message_id: str,
    user: User,
    save_attachments: Annotated[
        Path | None, typer.Option("--save-attachments", help="Write attachments to this folder.")
    ] = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Show one message (and mark it read); delivery state for sent messages."""
    settings = settings_from(data_dir, config)

    async def read(node: Node) -> tuple[OpenedMessage, list[StoredDelivery]]:
        opened = await node.mailbox.open(user, message_id)
        return opened, await node.mailbox.deliveries(message_id)

    opened, deliveries = with_node(settings, read)
    message = opened.message
    console.print(f"[bold]{getattr(message, 'subject', message.type)}[/bold]")
    console.print(
        f"from {message.sender} to {', '.join(message.to)} at {message.created:%Y-%m-%d %H:%M} UTC"
    )
    if isinstance(message, Mail):
        console.print(message.body)
        for attachment in message.attachments:
            console.print(
                f"📎 {attachment.filename} ({attachment.size} bytes, sha256 {attachment.sha256})"
            )
            if save_attachments is not None:
                save_attachments.mkdir(parents=True, exist_ok=True)
                (save_attachments / attachment.filename).write_bytes(attachment.content)
    for delivery in deliveries:
        reason = f" — {delivery.reason}" if delivery.reason else ""
        console.print(f"  {delivery.address}: {delivery.status}{reason}")
