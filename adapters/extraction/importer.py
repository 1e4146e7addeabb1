"""``icomm import``: seizures, suspects or companies from a file, checked like any entry.

Each row is parsed into its record (a value that does not parse is a problem of its cell),
then run through the quality checks of :mod:`adapters.quality` — the same ones a case
must pass to be submitted, so an import brings only complete, coded records. A seizure
may link only to suspects and companies already at this node (import those first).

All or nothing: the rows are inserted in one transaction as they are read, and if any row
has a problem the transaction is rolled back and the report lists every problem of every
row. Nothing is overwritten: a ref already at this node, or repeated in the file, is a
problem of its row; a row without a ref gets a new one.

What an import keeps: the record itself (case number, dates, commodities, links …) and
its ref. What it does not: the workflow — an imported case is a ``draft`` of this node,
entered by the importing user (its history says it came from the file), to be submitted
and validated here; status, revision, origin, handling code and validation time in the
file are informational. A partner's record (``foreign`` true) is refused: it was shared
under a handling code and cannot become this node's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from adapters.casestore import (
    DRAFT,
    ENTERING,
    CaseStore,
    commodity_index,
    new_ref,
    party_keys,
    seizure_columns,
)
from adapters.errors import Problem
from adapters.extraction.columns import (
    PARTY_KIND,
    SEIZURES,
    Column,
    Dataset,
    ExtractionError,
    column_of,
)
from adapters.extraction.formats import BadFile, Cells, format_named, format_of, read_rows
from adapters.extraction.source import dataset_named
from adapters.quality import check_company, check_seizure, check_suspect, problems_of
from message_schemas import Company, Seizure, Suspect, record_document
from storage.cases import CaseTables, PartyRow, SeizureRow

INFORMATIONAL = frozenset(
    {"ref", "status", "revision", "foreign", "origin_node", "handling_code", "created_by"}
    | {"validated_at"}
)
"""Columns that say where a record stands, not what it is: not part of the record."""

REF = re.compile(r"^[0-9a-f]{32}$")
"""A record's ref (:data:`message_schemas.case_records.RecordRef`)."""


@dataclass(frozen=True)
class RowProblem:
    """One problem of one row: its number, the column, the record's field and what is wrong."""

    row: int
    column: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class ImportReport:
    """What an import did: rows read, rows imported (all or none), every problem found."""

    dataset: str
    path: Path
    rows: int = 0
    imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_row(self) -> dict[int, list[RowProblem]]:
        rows: dict[int, list[RowProblem]] = {}
        for problem in self.problems:
            rows.setdefault(problem.row, []).append(problem)
        return rows

    def __str__(self) -> str:
        if self.ok:
            return f"imported {self.imported} {self.dataset} from {self.path.name}"
        return (
            f"{len(self.problems)} problem(s) in {len(self.by_row())} of {self.rows} row(s) "
            f"of {self.path.name}: nothing was imported"
        )


class _Refused(Exception):
    """Rolls the import's transaction back."""


async def import_csv(store: CaseStore, dataset: str, path: Path, username: str) -> ImportReport:
    """Import ``dataset`` from a CSV file in the export's columns (see :func:`import_file`)."""
    return await import_file(store, dataset, path, username, "csv")


async def import_file(
    store: CaseStore, dataset: str, path: Path, username: str, fmt: str | None = None
) -> ImportReport:
    """Import ``dataset`` (seizures, suspects or companies) from ``path``: every row or none.

    ``fmt`` (csv, json or xlsx) defaults to the file's extension. The report lists each
    row's problems; when it has any, nothing was imported.
    """
    data = dataset_named(dataset, importing=True)
    path = Path(path)
    form = format_named(fmt) if fmt else format_of(path)
    await store.actor(username, ENTERING)
    report = ImportReport(data.name, path)
    try:
        async with store.unit() as tx:
            rows = _Rows(store, tx, data, username, path.name)
            for number, cells in read_rows(path, form, data.name, data.names):
                report.rows += 1
                report.problems += await rows.take(number, cells, insert=report.ok)
            if not report.ok:
                raise _Refused
            report.imported = rows.inserted
    except _Refused:
        report.imported = 0
    except BadFile as exc:
        raise ExtractionError(f"{path.name}: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ExtractionError(f"{path.name} cannot be read: {exc}") from exc
    return report


class _Rows:
    """Checks and inserts the rows of one import, inside its transaction."""

    def __init__(
        self, store: CaseStore, tx: CaseTables, dataset: Dataset, username: str, source: str
    ) -> None:
        self.store, self.tx, self.dataset, self.username = store, tx, dataset, username
        self.reasons = [f"imported from {source}"]
        self.kind = None if dataset is SEIZURES else PARTY_KIND[dataset.name]
        self.seen: dict[str, int] = {}  # ref → the row that had it first
        self.inserted = 0

    async def take(self, number: int, cells: Cells | str, *, insert: bool) -> list[RowProblem]:
        """The row's problems; without any (and if ``insert``), the row is inserted."""
        if isinstance(cells, str):
            return [RowProblem(number, "", "row", cells)]
        found: list[Problem] = []
        ref = await self._ref(number, cells.get("ref"), found)
        if _foreign(cells.get("foreign"), found):
            origin = cells.get("origin_node") or "a partner"
            found.append(Problem("foreign", f"{origin}'s record: only own records are imported"))
        values, bad_cells = _record_values(self.dataset, cells)
        found += bad_cells
        record, unparsed = self._parse(values, found)
        checks: list[Problem] = []
        parties: list[tuple[PartyRow, str | None]] = []
        if isinstance(record, Seizure):
            parties = await self._check_seizure(record, checks)
        elif isinstance(record, Suspect):
            checks = check_suspect(record)
        elif isinstance(record, Company):
            checks = check_company(record)
        unparsed |= {_top(problem.field) for problem in bad_cells}
        found += [problem for problem in checks if _top(problem.field) not in unparsed]
        if found:
            return [RowProblem(number, column_of(p.field), p.field, p.message) for p in found]
        if insert and ref is not None and record is not None:
            await self._insert(ref, record, parties)
            self.inserted += 1
        return []

    def _parse(
        self, values: dict[str, Any], found: list[Problem]
    ) -> tuple[BaseModel | None, set[str]]:
        """The record, and the fields that did not parse (left out of it, so that the
        quality checks still see the rest of the row)."""
        model = Seizure if self.kind is None else Suspect if self.kind == "suspect" else Company
        unparsed: set[str] = set()
        while True:
            try:
                return model.model_validate(values), unparsed
            except ValidationError as exc:
                problems = [p for p in problems_of(exc) if _top(p.field) not in unparsed]
                if not problems:  # nothing more to leave out: a record-wide error
                    return None, unparsed
                found += problems
                unparsed |= {_top(problem.field) for problem in problems}
                values = {key: value for key, value in values.items() if key not in unparsed}

    async def _ref(self, number: int, cell: Any, found: list[Problem]) -> str | None:
        ref = "" if cell is None else str(cell).strip()
        if not ref:
            return new_ref()
        if not REF.match(ref):
            found.append(Problem("ref", f"{ref!r} is not a record ref (32 hex digits)"))
            return None
        if ref in self.seen:
            found.append(Problem("ref", f"{ref} is also the ref of row {self.seen[ref]}"))
            return None
        self.seen[ref] = number
        held = (
            await self.tx.seizures.find(ref)
            if self.kind is None
            else await self.tx.parties.find(self.kind, ref)
        )
        if held is not None:
            found.append(Problem("ref", f"{ref} is already present at this node"))
            return None
        return ref

    async def _check_seizure(
        self, seizure: Seizure, found: list[Problem]
    ) -> list[tuple[PartyRow, str | None]]:
        """Every quality problem, links to this node's own parties only; the linked rows."""
        node, rows = self.store.node.id, []
        known: dict[str, set[str]] = {"suspect": set(), "company": set()}
        for kind, group, links in (
            ("suspect", "suspects", seizure.suspects),
            ("company", "companies", seizure.companies),
        ):
            refs = [link.ref for link in links]
            for i, link in enumerate(links):
                if link.ref in refs[:i]:
                    found.append(Problem(f"{group}.{i}.ref", f"{link.ref} is linked twice"))
                elif (party := await self.tx.parties.find(kind, link.ref, node)) is not None:
                    known[kind].add(link.ref)
                    rows.append((party, link.role))
        found += check_seizure(
            seizure, known_suspects=known["suspect"], known_companies=known["company"]
        )
        return rows

    async def _insert(
        self, ref: str, record: BaseModel, parties: list[tuple[PartyRow, str | None]]
    ) -> None:
        """Insert as :class:`CaseStore` enters records, keeping the file's ref."""
        owner = {"ref": ref, "origin_node": self.store.node.id, "created_by": self.username}
        if isinstance(record, Seizure):
            row = SeizureRow(status=DRAFT, **owner, **seizure_columns(record))
            await self.tx.seizures.add(row, commodity_index(record.commodities))
            await self.tx.seizures.record_transition(
                row, DRAFT, self.username, self.reasons, created=True
            )
            await self.tx.seizures.link(row, parties)
        elif isinstance(record, Suspect | Company):
            tokens, ids, display = party_keys(record)
            party = PartyRow(
                kind=self.kind, display_name=display, record=record_document(record), **owner
            )
            await self.tx.parties.add(party, tokens, ids)


def _top(field: str) -> str:
    """The record's top-level field that holds a field or a column (``route_transit`` →
    ``route``)."""
    head = field.split(".")[0]
    return head.split("_")[0] if head.startswith(("conveyance_", "route_")) else head


def _foreign(cell: Any, found: list[Problem]) -> bool:
    if cell is None or isinstance(cell, bool):
        return bool(cell)
    text = str(cell).strip().lower()
    if text in ("", "false", "no", "0"):
        return False
    if text in ("true", "yes", "1"):
        return True
    found.append(Problem("foreign", f"{cell!r} is neither true nor false"))
    return False


def _record_values(
    dataset: Dataset, cells: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """The record's fields from a row's cells (as a model validates them), and bad cells."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for column in dataset.columns:
        if column.name in INFORMATIONAL:
            continue
        try:
            value = _decode(column, cells.get(column.name))
        except ValueError as exc:
            problems.append(Problem(column.name, str(exc)))
            continue
        if value is not None:
            values[column.name] = value
    if dataset is SEIZURES:
        conveyance = {
            part: values.pop(f"conveyance_{part}")
            for part in ("mode", "type", "identifier")
            if f"conveyance_{part}" in values
        }
        if conveyance:
            values["conveyance"] = conveyance
        values["route"] = {
            part: values.pop(f"route_{part}")
            for part in ("departure", "transit", "destination")
            if f"route_{part}" in values
        }
    return values, problems


def _decode(column: Column, cell: Any) -> Any:
    """A cell (text from CSV, typed from XLSX or JSON) as the record's field takes it;
    ``None`` leaves the field out. A ``ValueError`` says what is wrong with the cell."""
    if column.kind == "text":
        return "" if cell is None else str(cell)
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return [] if column.kind in ("codes", "links", "json") else None
    if column.kind == "datetime" and isinstance(cell, datetime):
        return cell if cell.tzinfo else cell.replace(tzinfo=UTC)  # XLSX keeps UTC, naive
    if column.kind == "date" and isinstance(cell, datetime):
        return cell.date()
    if column.kind in ("date", "datetime") and isinstance(cell, date):
        return cell
    if column.kind in ("codes", "links", "json") and not isinstance(cell, str):
        if not isinstance(cell, list | dict):
            raise ValueError(f"expected a list, not {cell!r}")
        return cell
    if column.kind == "codes":
        return [code.strip() for code in cell.split(";") if code.strip()]
    if column.kind == "links":
        links = []
        for part in filter(None, (part.strip() for part in cell.split(";"))):
            ref, _, role = part.partition(":")
            links.append({"ref": ref.strip(), "role": role.strip() or None})
        return links
    if column.kind == "json":
        try:
            return json.loads(cell)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from exc
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a number typed into a spreadsheet's text column
    return cell if isinstance(cell, str) else str(cell)
