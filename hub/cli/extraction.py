"""``icomm export`` and ``icomm import``: the case stores' datasets to and from files.

``export_command`` and ``import_command`` are registered on the main app as ``export`` and
``import``. An export shows a progress bar (on stderr, so stdout stays for the summary)
and never replaces an existing file unless ``--force``; an import lists every problem of
every row and exits 1 — importing nothing — when there is any.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from adapters.casestore import CaseStore
from adapters.extraction import (
    DATASETS,
    FORMATS,
    ExtractionError,
    ImportReport,
    export,
    format_named,
    format_of,
    import_file,
)
from hub.cli.options import ConfigFile, DataDir, console, err_console, fail, settings_from
from hub.cli.session import with_node
from hub.node import Node
from storage.cases import SeizureFilter

DATASET_NAMES = ", ".join(DATASETS)
FORMAT_NAMES = ", ".join(FORMATS)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{option} {value!r} is not a date: give it as YYYY-MM-DD", 2) from exc


def export_command(
    dataset: Annotated[str, typer.Argument(help=f"What to export: {DATASET_NAMES}.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write.", dir_okay=False)
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help=f"{FORMAT_NAMES} (default: the output's extension).",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date (YYYY-MM-DD), inclusive.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to this date (YYYY-MM-DD), inclusive.")
    ] = None,
    commodity: Annotated[
        str | None, typer.Option("--commodity", help="Seizures of this commodity category.")
    ] = None,
    place: Annotated[
        str | None, typer.Option("--place", help="Seizures at this kind of place.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Seizures in this state, e.g. validated.")
    ] = None,
    include_foreign: Annotated[
        bool,
        typer.Option(
            "--include-foreign/--own-only",
            help="Also partners' records shared with this node (their handling codes apply).",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Export seizures, suspects, companies or the CEN feed to CSV, JSON or XLSX."""
    try:
        form = format_named(fmt) if fmt else format_of(output)
    except ExtractionError as exc:
        raise fail(str(exc), 2) from exc
    if dataset not in DATASETS:
        raise fail(f"no dataset {dataset!r}; the datasets are: {DATASET_NAMES}", 2)
    if output.exists() and not force:
        raise fail(f"{output} already exists: use --force to replace it")
    first, last = _date(since, "--since"), _date(until, "--until")
    foreign = None if include_foreign else False
    where: SeizureFilter | None = SeizureFilter(
        since=first, until=last, category=commodity, place_kind=place, status=status,
        foreign=foreign,
    )  # fmt: skip
    feed_since = feed_until = None
    if dataset == "cen-feed":
        if commodity or place or status:
            raise fail("the cen-feed is filtered by --since and --until only", 2)
        where, feed_since, feed_until = None, first, last
    elif dataset != "seizures":
        if first or last or commodity or place or status:
            raise fail(f"{dataset} are filtered by --include-foreign/--own-only only", 2)
        where = SeizureFilter(foreign=foreign)
    settings = settings_from(data_dir, config)

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task: TaskID = progress.add_task(f"exporting {dataset}", total=None)

        def advance(written: int, total: int | None) -> None:
            progress.update(task, completed=written, total=total)

        async def run(node: Node) -> int:
            return await export(
                CaseStore(node),
                dataset,
                form,
                output,
                where,
                since=feed_since,
                until=feed_until,
                on_progress=advance,
                overwrite=force,
            )

        written = with_node(settings, run)
    console.print(f"exported {written} {dataset} to {escape(str(output))}")


def import_command(
    dataset: Annotated[
        str, typer.Argument(help="What the file holds: seizures, suspects or companies.")
    ],
    file: Annotated[
        Path,
        typer.Argument(
            help=f"A {FORMAT_NAMES} file in the export's columns.", exists=True, dir_okay=False
        ),
    ],
    user: Annotated[str, typer.Option("--user", "-u", help="Who enters the records.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="Default: the file's extension.", show_default=False),
    ] = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Import seizures, suspects or companies: every row checked, all imported or none.

    Import suspects and companies before the seizures that link to them.
    """
    settings = settings_from(data_dir, config)

    async def run(node: Node) -> ImportReport:
        return await import_file(CaseStore(node), dataset, file, user, fmt)

    report = with_node(settings, run)
    if report.ok:
        console.print(escape(str(report)))
        return
    for row, problems in report.by_row().items():
        for problem in problems:
            err_console.print(f"row {row}  {escape(problem.field)}: {escape(problem.message)}")
    raise fail(str(report))
