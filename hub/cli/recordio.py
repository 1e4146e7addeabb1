"""What the case commands share: reading a record file, listing problems, running a store
action, and showing values (``icomm cases``, ``icomm suspects``, ``icomm companies``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from adapters.casestore import CaseStore
from adapters.errors import Problem, QualityError
from adapters.quality import problems_of
from adapters.reference import reference
from hub.cli.options import err_console, fail
from hub.cli.session import with_node
from hub.config import Settings
from hub.node import Node
from message_schemas import Company, Suspect

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

User = Annotated[
    str, typer.Option("--user", "-u", help="Who does this: a local user name at this node.")
]
RecordFile = Annotated[
    Path,
    typer.Option(
        "--file",
        "-f",
        help="The record as a JSON document ('-' reads standard input).",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the record document as JSON.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the record document as JSON.")]


def read_record(path: Path, model: type[M]) -> M:
    """The record in the JSON file ``path``; otherwise every parse error, and exit 1."""
    what = model.__name__.lower()
    source = "standard input" if str(path) == "-" else str(path)
    try:
        raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"{source} is not UTF-8 text: a {what} record is a JSON document") from exc
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        report_problems(f"{source} is not a valid {what} record", problems_of(exc))
        raise typer.Exit(1) from exc


def report_problems(title: str, problems: Sequence[Problem], *, warning: bool = False) -> None:
    """``title`` then one line per problem, ``field: message`` (on standard error)."""
    label = "[yellow]note:[/yellow]" if warning else "[red]error:[/red]"
    err_console.print(f"{label} {escape(title)}", soft_wrap=True)
    for problem in problems:
        line = Text("  • ")
        line.append(problem.field, style="bold")
        line.append(f": {problem.message}")
        err_console.print(line, soft_wrap=True)


def run(settings: Settings, action: Callable[[CaseStore], Awaitable[T]], *, refused: str = "") -> T:
    """Run ``action`` on this node's case store; a failed quality check lists every problem
    (with the hint ``refused``) and exits 1, any other refusal exits 1 with its text."""

    async def guarded(node: Node) -> T | QualityError:
        try:
            return await action(CaseStore(node))
        except QualityError as exc:
            return exc

    result = with_node(settings, guarded)
    if isinstance(result, QualityError):
        headline = str(result).splitlines()[0].rstrip(":")
        report_problems(f"{headline}{refused}", result.problems)
        raise typer.Exit(1)
    return result


def print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def text(value: object) -> Text:
    """A value typed by a person, shown as it is (never read as Rich markup)."""
    if value is None or value == "":
        return Text("—", style="dim")
    return Text(str(value))


def coded(list_name: str, code: str | None) -> Text:
    """A code with its label from the reference list, e.g. ``land (Land border)``."""
    entry = reference(list_name).get(code) if code else None
    return text(f"{code} ({entry.label})" if entry is not None else code)


def when(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def origin(foreign: bool, origin_node: str, handling_code: str | None = None) -> str:
    if not foreign:
        return ""
    return f"from {origin_node}" + (f" ({handling_code})" if handling_code else "")


def facts(rows: Sequence[tuple[str, RenderableType]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def number(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def party_name(record: Suspect | Company) -> str:
    """A suspect's full name (or first alias), a company's name."""
    names = record.names if isinstance(record, Suspect) else [record.name or ""]
    return next((name for name in names if name), "(no name)")
