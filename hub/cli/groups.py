"""``icomm groups``: group addresses such as ``analysts@ge``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hub.cli.options import ConfigFile, DataDir, console, settings_from
from hub.cli.session import with_node

app = typer.Typer(
    help="Groups: one address that reaches every active member.", no_args_is_help=True
)

Group = Annotated[str, typer.Argument(help="The group name: the local part of group@node.")]
Member = Annotated[str, typer.Argument(help="A user name at this node.")]


@app.command("add")
def add(
    group: Group,
    description: Annotated[str, typer.Option("--description")] = "",
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Create a group."""
    settings = settings_from(data_dir, config)
    with_node(settings, lambda node: node.accounts.add_group(group, description))
    console.print(f"group {escape(group.strip().lower())}@{settings.node} created")


@app.command("list")
def list_groups(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """List the groups and their members."""
    settings = settings_from(data_dir, config)
    groups = with_node(settings, lambda node: node.accounts.groups())
    table = Table("address", "members")
    for name, members in groups.items():
        table.add_row(f"{name}@{settings.node}", ", ".join(members) or "(nobody)")
    console.print(table)


@app.command("add-member")
def add_member(
    group: Group, user: Member, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Put a user in a group."""
    settings = settings_from(data_dir, config)
    with_node(settings, lambda node: node.accounts.add_member(group, user))
    console.print(f"{escape(user)} is a member of {escape(group)}@{settings.node}")


@app.command("remove-member")
def remove_member(
    group: Group, user: Member, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Take a user out of a group."""
    settings = settings_from(data_dir, config)
    with_node(settings, lambda node: node.accounts.remove_member(group, user))
    console.print(f"{escape(user)} is no longer a member of {escape(group)}@{settings.node}")
