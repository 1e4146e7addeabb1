"""``icomm users``: accounts at this node."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hub.accounts import LANGUAGES, Account, Role, generate_password
from hub.cli.options import ConfigFile, DataDir, console, err_console, fail, settings_from
from hub.cli.session import with_node
from hub.node import Node

app = typer.Typer(help="User accounts at this node.", no_args_is_help=True)

Username = Annotated[str, typer.Argument(help="The user name: the local part of user@node.")]
Password = Annotated[
    str | None,
    typer.Option(
        "--password",
        envvar="ICOMM_NEW_PASSWORD",
        help="The password (at least 12 characters); generated and shown once if omitted.",
        show_default=False,
    ),
]


def _show(account: Account, node: str) -> None:
    state = "active" if account.active else "deactivated"
    console.print(f"{account.username}@{node}  role={account.role}  {state}")


def _password(password: str | None) -> str:
    if password:
        return password
    generated = generate_password()
    err_console.print(f"generated password (shown once): [bold]{generated}[/bold]")
    return generated


@app.command("add")
def add(
    username: Username,
    role: Annotated[Role, typer.Option("--role", help="officer, analyst or admin.")] = Role.OFFICER,
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password: Password = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Create a user."""
    settings = settings_from(data_dir, config)
    secret = _password(password)
    account = with_node(settings, lambda node: node.accounts.add(username, role, secret, name))
    _show(account, settings.node)


@app.command("list")
def list_users(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """List the users."""
    settings = settings_from(data_dir, config)
    accounts = with_node(settings, lambda node: node.accounts.list_users())
    table = Table("address", "name", "role", "state")
    for account in accounts:
        table.add_row(
            f"{account.username}@{settings.node}",
            Text(account.display_name),  # free text: never rich markup
            account.role,
            "active" if account.active else "[red]deactivated[/red]",
        )
    console.print(table)


@app.command("deactivate")
def deactivate(username: Username, data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Deactivate a user: they can neither send nor receive."""
    settings = settings_from(data_dir, config)
    _show(with_node(settings, lambda node: node.accounts.deactivate(username)), settings.node)


@app.command("activate")
def activate(username: Username, data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Reactivate a user."""
    settings = settings_from(data_dir, config)
    _show(with_node(settings, lambda node: node.accounts.activate(username)), settings.node)


@app.command("set-role")
def set_role(
    username: Username,
    role: Annotated[Role, typer.Argument(help="officer, analyst or admin.")],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Change a user's role."""
    settings = settings_from(data_dir, config)
    _show(with_node(settings, lambda node: node.accounts.set_role(username, role)), settings.node)


@app.command("reset-password")
def reset_password(
    username: Username,
    password: Password = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Set a new password (generated and shown once if not given)."""
    settings = settings_from(data_dir, config)
    secret = _password(password)

    async def reset(node: Node) -> Account:
        return await node.accounts.reset_password(username, secret)

    _show(with_node(settings, reset), settings.node)


@app.command("notify")
def notify(
    username: Username,
    email: Annotated[
        str | None,
        typer.Argument(help="The address notices go to; omit with --off.", show_default=False),
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="Send this user no more notices.")] = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Tell a user by ordinary email when new Icomm mail waits (never its contents)."""
    if (email is None) == (not off):
        raise fail("give an email address, or --off")
    settings = settings_from(data_dir, config)

    async def change(node: Node) -> Account:
        return await node.accounts.set_notice_address(username, None if off else email)

    account = with_node(settings, change)
    where = account.notify_email or "nowhere (notices off)"
    console.print(f"{account.username}@{settings.node}: notices go to {where}")
    if settings.notify_smtp_url is None and not off:
        err_console.print("note: no relay is configured yet (ICOMM_NOTIFY_SMTP_URL)")


@app.command("language")
def language(
    username: Username,
    code: Annotated[str, typer.Argument(help=f"One of {', '.join(LANGUAGES)}.")],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Choose the language of a user's interface and notices."""
    settings = settings_from(data_dir, config)

    async def change(node: Node) -> Account:
        return await node.accounts.set_language(username, code)

    account = with_node(settings, change)
    console.print(f"{account.username}@{settings.node}: language {account.language}")
