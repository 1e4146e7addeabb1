"""Writing rows to CSV, JSON and XLSX files one at a time, and reading them back.

- **CSV**: UTF-8 *with* a byte-order mark, so that Excel shows Georgian (or any non-Latin)
  text correctly when the file is double-clicked; every reader here (``utf-8-sig``) and most
  tools skip the mark. A header row names the columns.
- **JSON**: one array of objects (friendlier to partners than JSON Lines: any JSON parser
  reads it), written with one object per line so that it streams both ways: the writer
  never holds more than a row, and :func:`read_json` reads such a file line by line (any
  other layout of a JSON array is read whole).
- **XLSX**: openpyxl's write-only workbook (rows go to a temporary file, not to memory),
  typed cells — numbers numeric, booleans boolean, dates and times as date cells — and a
  second sheet ``about``. Excel has no time zones: times are written in UTC (the ``about``
  sheet says so) and to the millisecond, Excel's precision. Text that starts with ``=`` is
  kept as text, never a formula; characters XML cannot carry are dropped; a value longer
  than an Excel cell holds (32,767 characters) stops the export with a clear error.

The CSV keeps every value as it is, so that it imports back exactly: a spreadsheet program
opening it may take text beginning with ``=`` for a formula (open exports from an
untrusted source as XLSX, or import the CSV as text).

A writer is a context manager: :meth:`RowWriter.write` takes one row, and leaving the
block finishes the file.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from adapters.extraction.columns import Column, ExtractionError, Row

Format = Literal["csv", "json", "xlsx"]
XLSX_CELL_LIMIT = 32_767
FORMATS: tuple[Format, ...] = ("csv", "json", "xlsx")


def format_named(name: str) -> Format:
    """The format called ``name`` (``csv``, ``json``, ``xlsx``), or an error naming them."""
    fmt = name.strip().lower()
    if fmt not in FORMATS:
        raise ExtractionError(f"no format {name!r}; the formats are: {', '.join(FORMATS)}")
    return fmt  # type: ignore[return-value]


def format_of(path: Path) -> Format:
    """The format a file's extension names."""
    if path.suffix.lstrip(".").lower() not in FORMATS:
        raise ExtractionError(
            f"cannot tell the format of {path.name} from its extension: use one of "
            f"{', '.join('.' + f for f in FORMATS)} (or say the format)"
        )
    return format_named(path.suffix.lstrip("."))


Cells = dict[str, Any]
"""A row read back: column name → the value as the file had it (text, or typed)."""


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def text_cell(column: Column, value: Any) -> Any:
    """A value as CSV or XLSX keeps it: the scalar, or lists joined or as compact JSON."""
    if column.kind == "codes":
        return ";".join(value)
    if column.kind == "links":
        return ";".join(
            f"{link['ref']}:{link['role']}" if link["role"] else link["ref"] for link in value
        )
    if column.kind == "json":
        return _json_text(value) if value else ""
    return value


def json_value(column: Column, value: Any) -> Any:
    """A value as the JSON export carries it (lists nested, dates in ISO 8601)."""
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if column.kind == "links":
        return [{key: val for key, val in link.items() if val is not None} for link in value]
    return value


class RowWriter:
    """Writes rows of ``columns`` to a binary file opened by the caller."""

    def __init__(self, file: IO[bytes], sheet: str, columns: Sequence[Column]) -> None:
        self.file = file
        self.sheet = sheet
        self.columns = tuple(columns)
        self.about: list[tuple[str, Any]] = []  # XLSX only: the "about" sheet's rows

    def write(self, row: Row) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file (called on leaving the ``with`` block without an error)."""

    def __enter__(self) -> Self:
        return self

    def abort(self) -> None:
        """Let go of the unfinished file (called on leaving the ``with`` block by an error)."""

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


class CsvWriter(RowWriter):
    def __init__(self, file: IO[bytes], sheet: str, columns: Sequence[Column]) -> None:
        super().__init__(file, sheet, columns)
        self.text = _TextOut(file)
        self.csv = csv.writer(self.text, lineterminator="\r\n")
        self.text.write("\ufeff")
        self.csv.writerow([column.name for column in self.columns])

    def write(self, row: Row) -> None:
        cells = []
        for column, value in zip(self.columns, row, strict=True):
            cell = text_cell(column, value)
            if isinstance(cell, bool):
                cell = "true" if cell else "false"
            elif isinstance(cell, date):
                cell = cell.isoformat()
            cells.append("" if cell is None else cell)
        self.csv.writerow(cells)


class JsonWriter(RowWriter):
    def __init__(self, file: IO[bytes], sheet: str, columns: Sequence[Column]) -> None:
        super().__init__(file, sheet, columns)
        self.text = _TextOut(file)
        self.text.write("[")
        self.first = True

    def write(self, row: Row) -> None:
        item = {c.name: json_value(c, value) for c, value in zip(self.columns, row, strict=True)}
        self.text.write(("\n" if self.first else ",\n") + _json_text(item))
        self.first = False

    def close(self) -> None:
        self.text.write("\n]\n")


class XlsxWriter(RowWriter):
    def __init__(self, file: IO[bytes], sheet: str, columns: Sequence[Column]) -> None:
        super().__init__(file, sheet, columns)
        self.book = Workbook(write_only=True)
        self.data = self.book.create_sheet(sheet)
        bold = Font(bold=True)
        self.data.append([self._header(column.name, bold) for column in self.columns])

    def _header(self, name: str, font: Font) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.data, value=name)
        cell.font = font
        return cell

    def _cell(self, sheet: Any, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value:
            return None
        if len(value) > XLSX_CELL_LIMIT:
            raise ExtractionError(
                f"a value of {len(value)} characters is more than an Excel cell holds "
                f"({XLSX_CELL_LIMIT}): export this dataset as CSV or JSON"
            )
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text that looks like a formula stays text
        return cell

    def write(self, row: Row) -> None:
        self.data.append(
            [
                self._cell(self.data, text_cell(column, value))
                for column, value in zip(self.columns, row, strict=True)
            ]
        )

    def close(self) -> None:
        about = self.book.create_sheet("about")
        bold = Font(bold=True)
        for key, value in self.about:
            label = WriteOnlyCell(about, value=key)
            label.font = bold
            about.append([label, self._cell(about, value)])
        self.book.save(self.file)  # type: ignore[arg-type]

    def abort(self) -> None:
        for sheet in self.book.worksheets:  # ends their temporary files in order
            with contextlib.suppress(Exception):
                sheet.close()


WRITERS: dict[Format, type[RowWriter]] = {"csv": CsvWriter, "json": JsonWriter, "xlsx": XlsxWriter}


class _TextOut:
    """A UTF-8 text view of a binary file that leaves the file open (its owner closes it)."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def write(self, text: str) -> int:
        return self.file.write(text.encode("utf-8"))


# -- reading --------------------------------------------------------------------------------


class BadFile(ValueError):
    """A file that cannot be read as rows at all (not one row's problem)."""


def read_rows(
    path: Path, fmt: Format, sheet: str, known: Collection[str]
) -> Iterator[tuple[int, Cells | str]]:
    """Each data row as ``(number, cells)``, or ``(number, why)`` when a row is malformed.

    Numbers are as a spreadsheet shows them (the header is row 1, the first data row is 2)
    for CSV and XLSX; for JSON, the item's position in the array (the first is 1). Blank
    rows are skipped. A column not in ``known`` is refused: for CSV and XLSX the whole
    file (:class:`BadFile`), for JSON the item that has it.
    """
    if fmt == "json":
        for number, item in _read_json(path):
            if not isinstance(item, dict):
                yield number, "not a JSON object"
            elif unknown := sorted(set(item) - set(known)):
                yield number, f"unknown field(s) {', '.join(unknown)}"
            else:
                yield number, item
        return
    rows = _read_csv(path) if fmt == "csv" else _read_xlsx(path, sheet)
    header = _header(next(rows, ()), known)
    for number, values in enumerate(rows, start=2):
        if any(value not in (None, "") and str(value).strip() for value in values):
            yield number, _zip(header, values)


def _header(names: Sequence[Any], known: Collection[str]) -> list[str]:
    header = [str(name).strip() if name is not None else "" for name in names]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise BadFile("the file has no header row naming its columns")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated or "" in header:
        raise BadFile(f"the header row repeats or leaves out column names: {repeated or ['']}")
    if unknown := [name for name in header if name not in known]:
        raise BadFile(
            f"unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(known)}"
        )
    return header


def _zip(header: list[str], values: Sequence[Any]) -> Cells | str:
    if any(value not in (None, "") for value in values[len(header) :]):
        return f"{len(values)} cells but the header names {len(header)} columns"
    return dict(zip(header, values, strict=False))


def _read_csv(path: Path) -> Iterator[Sequence[Any]]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        try:
            yield from csv.reader(file)
        except csv.Error as exc:
            raise BadFile(f"not a readable CSV file: {exc}") from exc


def _read_xlsx(path: Path, sheet: str) -> Iterator[Sequence[Any]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise BadFile(f"not a readable XLSX workbook: {exc}") from exc
    try:
        pages = book.sheetnames
        yield from book[sheet if sheet in pages else pages[0]].iter_rows(values_only=True)
    finally:
        book.close()


def _read_json(path: Path) -> Iterator[tuple[int, Any]]:
    """One object per line as :class:`JsonWriter` writes them, or else the whole array."""
    done = 0
    with path.open(encoding="utf-8-sig") as file:
        streamed = file.readline().strip() == "["
        for line in file if streamed else ():
            text = line.strip().removesuffix(",")
            if text in ("", "]"):
                continue
            try:
                if not (text.startswith("{") and text.endswith("}")):
                    raise ValueError("not one object on its line")
                item = json.loads(text)
            except ValueError:
                streamed = False
                break
            done += 1
            yield done, item
    if not streamed:
        try:
            items = json.loads(path.read_text(encoding="utf-8-sig"))
        except ValueError as exc:
            raise BadFile(f"not JSON: {exc}") from exc
        if not isinstance(items, list):
            raise BadFile("the file is not a JSON array of records")
        for number, item in enumerate(items[done:], start=done + 1):
            yield number, item
