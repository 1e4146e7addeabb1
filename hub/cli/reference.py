"""``icomm reference``: the reference lists the case stores check their data against."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from adapters.reference import ReferenceList, UnknownList, all_lists, reference, versions
from hub.cli.options import console, fail

app = typer.Typer(
    help="The reference lists (countries, units, commodity types …) and their versions.",
    no_args_is_help=True,
)


@app.command("list")
def list_lists() -> None:
    """List the reference lists with their versions, sizes and sources."""
    table = Table("name", "version", "entries", "source")
    for name, ref in all_lists().items():
        table.add_row(name, ref.version, str(len(ref)), ref.source)
    console.print(table)


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="The list's name (see `list`).")]) -> None:
    """Show one list's codes, labels and extra fields."""
    ref = _lookup(name)
    extra = list(dict.fromkeys(key for entry in ref for key in entry.data))
    table = Table("code", "label", *extra, title=f"{ref.name} ({ref.version})")
    for entry in ref:
        table.add_row(entry.code, entry.label, *(_cell(entry.data.get(key)) for key in extra))
    console.print(table)


@app.command("export")
def export(
    directory: Annotated[
        Path, typer.Argument(help="Where to write the lists (created if missing).")
    ],
) -> None:
    """Write each list as NAME.json, and an index.json with every list's version."""
    directory.mkdir(parents=True, exist_ok=True)
    index: list[dict[str, Any]] = []
    for name, ref in all_lists().items():
        path = directory / f"{name}.json"
        _write_json(path, ref.as_dict())
        console.print(f"wrote {path}")
        index.append(
            {
                "list": name,
                "version": ref.version,
                "file": path.name,
                "entries": len(ref),
                "source": ref.source,
            }
        )
    index_path = directory / "index.json"
    _write_json(index_path, {"versions": versions(), "lists": index})
    console.print(f"wrote {index_path}")


def _lookup(name: str) -> ReferenceList:
    try:
        return reference(name)
    except UnknownList as exc:
        raise fail(str(exc)) from exc


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
