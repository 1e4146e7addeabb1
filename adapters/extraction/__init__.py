"""Extraction: the case stores' datasets out to CSV, JSON or XLSX files, and back in.

``icomm export seizures|suspects|companies|cen-feed`` and ``icomm import`` stand on this.

- :func:`export` streams one dataset, filtered, to a file: rows come from the database a
  batch at a time and go to the file one at a time, so a million cases never sit in
  memory; ``on_progress(written, total)`` follows it (the total is a ``COUNT`` made first).
  The file appears only when complete (it is written beside, then moved in place), and an
  existing file is never replaced unless ``overwrite``.
- :func:`import_file` (and :func:`import_csv`) reads seizures, suspects or companies in the
  same columns, runs every row through the same quality checks as entry, and inserts all
  of them or — if any row has a problem — none, reporting every problem by row and field.

The columns of each dataset are in :mod:`.columns`, the file formats in :mod:`.formats`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO
from uuid import uuid4

from adapters.casestore import CaseStore
from adapters.extraction.columns import DATASETS, Column, Dataset, ExtractionError
from adapters.extraction.formats import FORMATS, WRITERS, Format, format_named, format_of
from adapters.extraction.importer import ImportReport, RowProblem, import_csv, import_file
from adapters.extraction.source import (
    Selection,
    check_selection,
    count_rows,
    dataset_named,
    stream_rows,
)
from adapters.reference import versions
from storage.cases import SeizureFilter

__all__ = [
    "DATASETS",
    "FORMATS",
    "Column",
    "Dataset",
    "ExtractionError",
    "Format",
    "ImportReport",
    "ProgressCallback",
    "RowProblem",
    "count",
    "export",
    "format_named",
    "format_of",
    "import_csv",
    "import_file",
]

ProgressCallback = Callable[[int, int | None], None]
"""Called as ``(rows written so far, total rows or None)``."""

PROGRESS_EVERY = 100


async def count(
    store: CaseStore,
    dataset: str,
    where: SeizureFilter | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
) -> int:
    """How many rows an :func:`export` with the same arguments would write."""
    data, selection = dataset_named(dataset), Selection(where or SeizureFilter(), since, until)
    check_selection(data, selection)
    async with store.unit() as tx:
        return await count_rows(tx, data, selection)


async def export(
    store: CaseStore,
    dataset: str,
    fmt: str,
    path: Path,
    where: SeizureFilter | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
    on_progress: ProgressCallback | None = None,
    overwrite: bool = False,
) -> int:
    """Write ``dataset`` (filtered by ``where``; the CEN feed by ``since``/``until``, its
    seizure dates) to ``path`` in ``fmt``; the number of rows written."""
    data, form = dataset_named(dataset), format_named(fmt)
    selection = Selection(where or SeizureFilter(), since, until)
    check_selection(data, selection)
    path = Path(path)
    if path.exists() and not overwrite:
        raise ExtractionError(f"{path} already exists: it is not overwritten")
    report = on_progress or (lambda written, total: None)
    partial = path.with_name(f".{path.name}.{uuid4().hex[:12]}.partial")
    written, total = 0, None
    try:
        with _create(partial) as file, WRITERS[form](file, data.name, data.columns) as writer:
            async with store.unit() as tx:
                total = await count_rows(tx, data, selection)
                report(0, total)
                async for row in stream_rows(tx, data, selection):
                    writer.write(row)
                    written += 1
                    if written % PROGRESS_EVERY == 0:
                        report(written, total)
            writer.about = _about(store, data, selection, written)
        _publish(partial, path, overwrite=overwrite)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is not None:
            raise ExtractionError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    report(written, total)
    return written


def _about(
    store: CaseStore, dataset: Dataset, selection: Selection, rows: int
) -> list[tuple[str, object]]:
    """The XLSX ``about`` sheet: what was exported, when, how, and the reference lists."""
    about: list[tuple[str, object]] = [
        ("dataset", dataset.name),
        ("node", store.node.id),
        ("exported_at", datetime.now(UTC)),
        ("time zone", "UTC (every date and time in this workbook)"),
        ("rows", rows),
    ]
    about += [(f"filter {name}", value) for name, value in selection.described()]
    about += [(f"reference {name}", version) for name, version in versions().items()]
    return about


def _create(path: Path) -> IO[bytes]:
    return path.open("xb")


def _publish(partial: Path, path: Path, *, overwrite: bool) -> None:
    """Move the finished file in place; without ``overwrite``, never over an existing one."""
    if overwrite:
        os.replace(partial, path)
        return
    try:
        os.link(partial, path)  # fails if ``path`` exists, atomically
    except FileExistsError as exc:
        raise ExtractionError(f"{path} appeared meanwhile: it is not overwritten") from exc
    except OSError:  # a file system without hard links
        if path.exists():
            raise ExtractionError(f"{path} appeared meanwhile: it is not overwritten") from None
        os.replace(partial, path)
    else:
        partial.unlink()
