"""Forms for the case stores' records (seizures, suspects, companies), without JavaScript.

A form is described once (:class:`FormSpec`: its fields, and its repeatable rows such as a
seizure's commodities) and held as typed (:class:`RecordForm`: text exactly as entered,
so a refused form comes back as the user left it). Field names are the dotted paths of the
record (``conveyance.mode``, ``commodities.0.unit``) — the paths the quality checks
(:mod:`adapters.quality`) and pydantic name in their problems — so every problem is shown
beside its field. A row can be added by a submit button (the form comes back with one
more), and a row left blank is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from babel.numbers import NumberFormatError, parse_decimal
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from adapters.errors import Problem
from adapters.reference import reference
from hub.web.rendering import N_, _, current_locale, label, localized

M = TypeVar("M", bound=BaseModel)

MAX_ROWS = 100
MAX_VALUE = 20_000
ROW_FIELD = re.compile(r"^([a-z_]+)\.(\d{1,3})\.([a-z_]+)$")
ADD_ROW = "add:"
"""The value of a form's "add a row" buttons: ``add:<rows name>``."""


class Kind(StrEnum):
    TEXT = "text"  # one line; empty is "not given"
    FREE = "free"  # free text, several lines
    NUMBER = "number"  # a decimal number, in the reader's locale or with a dot
    MOMENT = "moment"  # a date and time in UTC (an HTML datetime-local input)
    DATE = "date"
    LINES = "lines"  # a list, one item per line
    MULTI = "multi"  # several codes chosen from a list


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # N_() marked; translated when shown
    kind: Kind = Kind.TEXT
    choices: str | None = None  # the reference list the value comes from
    group: tuple[str, str] | None = None  # choices grouped by (entry field, list of groups)
    hint: str = ""
    max_length: int = 300


@dataclass(frozen=True)
class RowSpec:
    name: str
    title: str  # the rows' heading, e.g. "Commodities"; translated when shown
    label: str  # one row's name, e.g. "Commodity"
    fields: tuple[FieldSpec, ...]
    add_label: str  # the button that adds a row

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class FormSpec:
    fields: tuple[FieldSpec, ...]
    rows: tuple[RowSpec, ...] = ()
    optional: tuple[str, ...] = ()  # groups left out when all their fields are empty
    blank_rows: int = 1

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    def row(self, name: str) -> RowSpec:
        return next(r for r in self.rows if r.name == name)

    def label_of(self, path: str) -> str:
        """A problem's place in words: "Unit, Commodity 2", "Case number"."""
        if match := re.match(r"^([a-z_]+)\.(\d+)(?:\.([a-z_]+))?", path):
            rows, index, name = match.groups()
            if any(r.name == rows for r in self.rows):
                row = self.row(rows)
                where = _("%(row)s %(n)s", row=_(row.label), n=int(index) + 1)
                if name and any(f.name == name for f in row.fields):
                    return _("%(field)s, %(row)s", field=_(row.field(name).label), row=where)
                return where
        base = self.anchor_of(path)
        known = {f.name: f for f in self.fields}
        if base in known:
            return _(known[base].label)
        if any(r.name == base for r in self.rows):
            return _(self.row(base).title)
        return path

    def anchor_of(self, path: str) -> str:
        """The field a problem belongs beside (``route.transit.1`` → ``route.transit``)."""
        for spec in self.fields:
            if spec.kind in (Kind.MULTI, Kind.LINES) and path.startswith(f"{spec.name}."):
                return spec.name
        return path


@dataclass(frozen=True)
class FieldView:
    """One input as a template draws it."""

    name: str
    label: str
    kind: str
    value: str
    selected: tuple[str, ...]
    choices: list[tuple[str, list[tuple[str, str]]]]  # (group label, [(code, label)])
    problems: list[str]
    hint: str
    max_length: int
    where: str = ""  # the row it belongs to, said after its label: "Commodity 2"

    @property
    def id(self) -> str:
        return self.name

    @property
    def unlisted(self) -> list[str]:
        """Chosen codes that the list does not offer (kept, so that the check can name them)."""
        offered = {code for _group, entries in self.choices for code, _label in entries}
        return [code for code in self.selected if code and code not in offered]


@dataclass
class RecordForm:
    """A form as typed: values by dotted name, the rows shown, and what is wrong."""

    spec: FormSpec
    values: dict[str, str] = field(default_factory=dict)
    chosen: dict[str, list[str]] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    # -- building -------------------------------------------------------------------------

    @classmethod
    def blank(cls, spec: FormSpec) -> RecordForm:
        return cls(spec, row_counts={row.name: spec.blank_rows for row in spec.rows})

    @classmethod
    def of(cls, spec: FormSpec, record: BaseModel) -> RecordForm:
        """The form of a stored record, with blank rows to add to it."""
        form = cls(spec)
        for f in spec.fields:
            form._put(f, f.name, _at(record, f.name))
        for row in spec.rows:
            items = getattr(record, row.name)
            for i, item in enumerate(items):
                for f in row.fields:
                    form._put(f, f"{row.name}.{i}.{f.name}", getattr(item, f.name))
            form.row_counts[row.name] = len(items) + spec.blank_rows
        return form

    @classmethod
    def read(cls, spec: FormSpec, data: FormData) -> RecordForm:
        """What a browser sent; rows renumbered without gaps, blank ones kept at the end."""
        form = cls(spec)
        for f in spec.fields:
            if f.kind is Kind.MULTI:
                form.chosen[f.name] = [str(v)[:64] for v in data.getlist(f.name) if str(v)]
            else:
                form.values[f.name] = str(data.get(f.name, ""))[:MAX_VALUE]
        for row in spec.rows:
            typed: dict[int, dict[str, str]] = {}
            for key, value in data.multi_items():
                match = ROW_FIELD.match(key)
                if match and match.group(1) == row.name and int(match.group(2)) < MAX_ROWS:
                    index, name = int(match.group(2)), match.group(3)
                    typed.setdefault(index, {})[name] = str(value)[:MAX_VALUE]
            filled = [typed[i] for i in sorted(typed) if any(v.strip() for v in typed[i].values())]
            for i, values in enumerate(filled):
                for f in row.fields:
                    form.values[f"{row.name}.{i}.{f.name}"] = values.get(f.name, "")
            form.row_counts[row.name] = min(MAX_ROWS, max(len(typed), len(filled) + 1))
        return form

    def add_row(self, name: str) -> None:
        """One more blank row of ``name`` (up to :data:`MAX_ROWS`; unknown rows: nothing)."""
        if name in self.row_counts:
            self.row_counts[name] = min(MAX_ROWS, self.row_counts[name] + 1)

    def _put(self, spec: FieldSpec, name: str, value: Any) -> None:
        if value is None:
            return
        if spec.kind is Kind.MULTI:
            self.chosen[name] = [str(v) for v in value]
        elif spec.kind is Kind.LINES:
            self.values[name] = "\n".join(str(v) for v in value)
        elif spec.kind is Kind.MOMENT:
            self.values[name] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
        elif spec.kind is Kind.NUMBER:
            self.values[name] = format(Decimal(value).normalize(), "f")
        else:
            self.values[name] = str(value)

    # -- reading --------------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        """The record document the typed values make; conversion problems are added to
        :attr:`problems` and their fields left out."""
        document: dict[str, Any] = {}
        for f in self.spec.fields:
            _place(document, f.name, self._converted(f, f.name))
        for row in self.spec.rows:
            items = []
            for i in range(self.filled_rows(row.name)):
                item: dict[str, Any] = {}
                for f in row.fields:
                    _place(item, f.name, self._converted(f, f"{row.name}.{i}.{f.name}"))
                items.append(item)
            document[row.name] = items
        for group in self.spec.optional:
            if not document.get(group):
                document.pop(group, None)
        return document

    def validated(self, model: type[M]) -> M:
        """The record, leaving out what pydantic refuses (each refusal becomes a problem)."""
        document = self.document()
        while True:
            try:
                return model.model_validate(document)
            except ValidationError as exc:
                dropped, found = False, []
                # the last first: leaving out an item of a list moves the ones after it
                for error in reversed(exc.errors(include_url=False)):
                    loc = tuple(error["loc"])
                    if error["type"] == "currency_missing":  # a row's value without currency
                        dropped |= _drop(document, (*loc, "value"))
                        loc = (*loc, "currency")
                    else:  # the field, or the row that lacks a required field
                        dropped |= _drop(document, loc) or _drop(document, loc[:-1])
                    where = ".".join(str(part) for part in loc) or "record"
                    found.append(_refusal(where, error))
                self.problems += reversed(found)
                if not dropped:
                    raise

    def filled_rows(self, name: str) -> int:
        prefix = f"{name}."
        indexes = {int(key.split(".")[1]) for key in self.values if key.startswith(prefix)}
        return max(indexes, default=-1) + 1

    def _converted(self, spec: FieldSpec, name: str) -> Any:
        if spec.kind is Kind.MULTI:
            return self.chosen.get(name, [])
        raw = self.values.get(name, "")
        if spec.kind is Kind.FREE:
            return raw.replace("\r\n", "\n")
        if spec.kind is Kind.LINES:
            return [line.strip() for line in raw.splitlines() if line.strip()]
        text = raw.strip()
        if not text:
            return None
        try:
            if spec.kind is Kind.NUMBER:
                return _number(text)
            if spec.kind is Kind.MOMENT:
                moment = datetime.fromisoformat(text)
                return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            if spec.kind is Kind.DATE:
                return date.fromisoformat(text)
        except ValueError:
            self.problems.append(Problem(name, FORMAT_PROBLEMS[spec.kind]))
            return None
        return text

    # -- showing --------------------------------------------------------------------------

    def problems_at(self, name: str) -> list[str]:
        return [
            localized(p.template, p.params)
            for p in self.problems
            if self.spec.anchor_of(p.field) == name
        ]

    def view(self, name: str, spec: FieldSpec | None = None, where: str = "") -> FieldView:
        spec = spec or self.spec.field(name)
        return FieldView(
            name=name,
            label=_(spec.label),
            kind=spec.kind.value,
            value=self.values.get(name, ""),
            selected=tuple(self.chosen.get(name, [self.values.get(name, "")])),
            choices=choices(spec),
            problems=self.problems_at(name),
            hint=_(spec.hint) if spec.hint else "",
            max_length=spec.max_length,
            where=where,
        )

    def row_views(self, name: str) -> list[list[FieldView]]:
        row = self.spec.row(name)
        return [
            [
                self.view(f"{name}.{i}.{f.name}", f, _("%(row)s %(n)s", row=_(row.label), n=i + 1))
                for f in row.fields
            ]
            for i in range(self.row_counts.get(name, 0))
        ]

    def summary(self) -> list[tuple[str, str, str]]:
        """Every problem as (the field's id, where in words, what)."""
        return [
            (
                self.spec.anchor_of(p.field),
                self.spec.label_of(p.field),
                localized(p.template, p.params),
            )
            for p in self.problems
        ]

    def add_problems(self, problems: Iterable[Problem]) -> None:
        """Add problems, leaving out those of fields that already have one."""
        taken = {self.spec.anchor_of(p.field) for p in self.problems}
        self.problems += [p for p in problems if self.spec.anchor_of(p.field) not in taken]


FORMAT_PROBLEMS = {
    Kind.NUMBER: N_("not a number"),
    Kind.MOMENT: N_("not a date and time"),
    Kind.DATE: N_("not a date"),
}
VALIDATION_PROBLEMS = {
    "missing": N_("required"),
    "string_too_short": N_("required"),
    "string_too_long": N_("too long: at most %(max_length)s characters"),
    "string_pattern_mismatch": N_("not in the expected form"),
    "currency_missing": N_("a value needs its currency"),
}
"""What pydantic refuses in a form, by its error type, in words the pages translate (any
other refusal is shown as pydantic words it)."""


def _refusal(where: str, error: ErrorDetails) -> Problem:
    template = VALIDATION_PROBLEMS.get(error["type"])
    if template is None:
        return Problem(where, error["msg"])
    return Problem(where, template, dict(error.get("ctx", {})))


def added_row(action: str) -> str | None:
    """The rows an "add a row" button asks for (None: another button)."""
    return action.removeprefix(ADD_ROW) if action.startswith(ADD_ROW) else None


def choices(spec: FieldSpec) -> list[tuple[str, list[tuple[str, str]]]]:
    """The options of a field drawn from a reference list, grouped if the spec says so."""
    if spec.choices is None:
        return []
    name = spec.choices
    entries = reference(name)
    if spec.group is None:
        return [("", [(e.code, label(name, e.code)) for e in entries])]
    key, groups = spec.group
    return [
        (
            label(groups, group.code),
            [(e.code, label(name, e.code)) for e in entries if e.data.get(key) == group.code],
        )
        for group in reference(groups)
    ]


def _number(text: str) -> Decimal:
    try:
        number = parse_decimal(text, locale=current_locale(), strict=True)
    except NumberFormatError:
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(text) from exc
    if not number.is_finite():
        raise ValueError(text)
    return number


def _at(record: BaseModel, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = getattr(value, part, None) if value is not None else None
    return value


def _place(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        document = document.setdefault(part, {})
    if value is not None:
        document[last] = value


def _drop(document: Any, loc: Sequence[int | str]) -> bool:
    """Leave out what ``loc`` names in the document (False: there is nothing there)."""
    if not loc:
        return False
    *parents, last = loc
    for part in parents:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(document, dict) and last in document:
        del document[last]
        return True
    if isinstance(document, list) and isinstance(last, int) and last < len(document):
        del document[last]
        return True
    return False
