"""Options shared by every command: where the node's data and configuration live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from hub.config import Settings, load_settings

console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="The node's data directory (env ICOMM_DATA_DIR).", show_default=False
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="A TOML settings file (env ICOMM_CONFIG).", show_default=False),
]


def settings_from(
    data_dir: Path | None, config: Path | None = None, **overrides: object
) -> Settings:
    """Settings for a command, or a clear error and exit code 2."""
    try:
        return load_settings(config, data_dir=data_dir, **overrides)
    except (ValidationError, OSError, ValueError) as exc:
        err_console.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a clear error and return the exit to raise."""
    err_console.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)
