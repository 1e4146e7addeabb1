"""The flat, tabular form of each dataset: its columns, their kinds, and one row per record.

A row is a tuple of typed Python values in the dataset's column order; each file format
(:mod:`adapters.extraction.formats`) renders a value by its column's kind:

========  ====================================  ================================  ==============
kind      value in a row                        CSV and XLSX cell                 JSON value
========  ====================================  ================================  ==============
str       ``str`` or ``None``                   the text; empty for ``None``      string / null
text      free text, ``""`` when empty          the text                          string
int       ``int``                               number (XLSX: numeric)            number
bool      ``bool``                              ``true``/``false`` (XLSX: bool)   true / false
date      ``date``                              ISO 8601 (XLSX: date cell)        "YYYY-MM-DD"
datetime  aware ``datetime`` in UTC             ISO 8601 with offset (XLSX: a     ISO 8601
                                                date cell, in UTC, to the ms)
codes     ``list[str]`` of codes                ``GE;AM`` (codes hold no ``;``)   array
links     ``list[{"ref", "role"}]``             ``ref:role;ref:role``             array of objects
json      lists of objects or of labels         compact JSON text                 nested
========  ====================================  ================================  ==============

``;`` joins only values that cannot contain it (reference codes, record refs); lists of
typed labels (aliases, addresses) and of objects (commodities, documents, photos) are JSON,
so every record survives an export and re-import exactly. Decimals inside the JSON columns
are strings (``"12.5"``), as in the record documents, so no precision is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from adapters.errors import CaseError
from message_schemas import Company, Seizure, Suspect, record_document
from storage.cases import FeedRow, PartyRow, SeizureRow


class ExtractionError(CaseError):
    """An export or import asked for something that cannot be (named with the valid choices)."""


Kind = Literal["str", "text", "int", "bool", "date", "datetime", "codes", "links", "json"]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "str"


@dataclass(frozen=True)
class Dataset:
    """A dataset that can be exported (and, if ``importable``, imported)."""

    name: str
    columns: tuple[Column, ...]
    importable: bool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _columns(spec: str) -> tuple[Column, ...]:
    """``"ref revision:int …"``: names, each with its kind after a colon (default ``str``)."""
    columns = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        columns.append(Column(name, kind or "str"))  # type: ignore[arg-type]
    return tuple(columns)


SEIZURES = Dataset(
    "seizures",
    _columns(
        "ref case_number status revision:int foreign:bool origin_node handling_code"
        " occurred_at:datetime office place_kind direction detection_method concealment_method"
        " concealment_description:text conveyance_mode conveyance_type conveyance_identifier"
        " route_departure route_transit:codes route_destination source_evaluation"
        " information_evaluation narrative:text commodities:json photos:json suspects:links"
        " companies:links created_by validated_at:datetime"
    ),
    importable=True,
)
SUSPECTS = Dataset(
    "suspects",
    _columns(
        "ref surname given_names aliases:json date_of_birth:date gender nationality"
        " documents:json addresses:json notes:text foreign:bool origin_node handling_code"
    ),
    importable=True,
)
COMPANIES = Dataset(
    "companies",
    _columns(
        "ref name registration_number country address activity role notes:text foreign:bool"
        " origin_node handling_code"
    ),
    importable=True,
)
CEN_FEED = Dataset(
    "cen-feed",
    _columns(
        "seizure_ref origin_node revision:int seizure_date:date received_at:datetime"
        " superseded:int office place_kind direction detection_method concealment_method"
        " conveyance_mode conveyance_type departure_country transit_countries:codes"
        " destination_country commodities:json offenders:json"
    ),
    importable=False,
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (SEIZURES, SUSPECTS, COMPANIES, CEN_FEED)}
PARTY_KIND = {"suspects": "suspect", "companies": "company"}


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _links(links: list[Any]) -> list[dict[str, Any]]:
    return [{"ref": link.ref, "role": link.role} for link in links]


def seizure_row(row: SeizureRow) -> Row:
    """One case as a row of :data:`SEIZURES`."""
    seizure = Seizure.model_validate(row.record)
    conveyance, route = seizure.conveyance, seizure.route
    values = {
        "ref": row.ref,
        "status": row.status,
        "revision": row.revision,
        "foreign": row.foreign,
        "origin_node": row.origin_node,
        "handling_code": row.handling_code,
        "conveyance_mode": conveyance.mode if conveyance else None,
        "conveyance_type": conveyance.type if conveyance else None,
        "conveyance_identifier": conveyance.identifier if conveyance else None,
        "route_departure": route.departure,
        "route_transit": list(route.transit),
        "route_destination": route.destination,
        "commodities": [record_document(c) for c in seizure.commodities],
        "photos": [record_document(p) for p in seizure.photos],
        "suspects": _links(seizure.suspects),
        "companies": _links(seizure.companies),
        "created_by": row.created_by,
        "validated_at": _utc(row.validated_at),
    }
    fields = ("occurred_at", "detection_method", "concealment_method", "concealment_description")
    fields += ("case_number", "office", "place_kind", "direction", "narrative")
    fields += ("source_evaluation", "information_evaluation")
    values |= {name: getattr(seizure, name) for name in fields}
    return tuple(values[name] for name in SEIZURES.names)


def party_row(row: PartyRow) -> Row:
    """One suspect or company as a row of :data:`SUSPECTS` or :data:`COMPANIES`."""
    owner = {
        "ref": row.ref,
        "foreign": row.foreign,
        "origin_node": row.origin_node,
        "handling_code": row.handling_code,
    }
    if row.kind == "suspect":
        suspect = Suspect.model_validate(row.record)
        values = {name: getattr(suspect, name) for name in SUSPECTS.names if name not in owner}
        values |= {
            "aliases": list(suspect.aliases),
            "addresses": list(suspect.addresses),
            "documents": [record_document(d) for d in suspect.documents],
        }
        dataset = SUSPECTS
    else:
        company = Company.model_validate(row.record)
        values = {name: getattr(company, name) for name in COMPANIES.names if name not in owner}
        dataset = COMPANIES
    values |= owner
    return tuple(values[name] for name in dataset.names)


def feed_row(row: FeedRow) -> Row:
    """One seizure of the global CEN's feed as a row of :data:`CEN_FEED`.

    The record is the ``cen.seizure`` projection as filed; its fields are read by name
    (a field it lacks is empty), so a later schema version still exports.
    """
    record = row.record
    values: dict[str, Any] = {
        "seizure_ref": row.seizure_ref,
        "origin_node": row.origin_node,
        "revision": row.revision,
        "seizure_date": row.seizure_date,
        "received_at": _utc(row.received_at),
        "superseded": row.superseded,
        "transit_countries": list(record.get("transit_countries") or []),
        "commodities": list(record.get("commodities") or []),
        "offenders": list(record.get("offenders") or []),
    }
    for name in CEN_FEED.names:
        values.setdefault(name, record.get(name))
    return tuple(values[name] for name in CEN_FEED.names)


def column_of(field: str) -> str:
    """The column that holds a record's (dotted) field: ``conveyance.mode`` → ``conveyance_mode``."""
    head, _, rest = field.partition(".")
    if head in ("conveyance", "route") and rest:
        return f"{head}_{rest.split('.')[0]}"
    return head
