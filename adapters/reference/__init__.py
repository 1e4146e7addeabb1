"""Versioned reference lists for the case stores' data-quality checks.

Each list is one JSON file shipped in ``adapters/reference/data/`` (the data itself, not
generated at run time)::

    {"list": "<name>", "version": "<version>", "source": "<where it comes from>",
     "entries": [{"code": "...", "label": "...", <extra fields>}, ...]}

The lists and their versions:

- ``countries`` (ISO 3166-1 alpha-2, upper case) and ``currencies`` (ISO 4217 list one)
  come from the Debian iso-codes data; their version names the standard and the pycountry
  release they were taken from, e.g. ``iso3166-1:pycountry-26.2.16``.
- every other list is maintained by this project, version ``ncen:<n>``: ``units`` (with
  ``dimension``, ``integer`` and ``max_quantity``, a plausibility ceiling for one seizure),
  ``commodity_categories``, ``commodity_types`` (with ``category``), ``detection_methods``,
  ``concealment_methods``, ``place_kinds``, ``directions``, ``conveyance_modes``,
  ``conveyance_types`` (with ``mode``), ``document_types``, ``suspect_roles``,
  ``company_roles``, ``source_evaluations``, ``information_evaluations`` and ``genders``.
  Lists that mirror a vocabulary in :mod:`message_schemas.vocabulary` carry exactly its codes.

A new edition of a list changes its ``version``; :func:`versions` is recorded with every
export so a partner knows which editions a case was checked against. Codes are compared
exactly (``"ge"`` is not a country code; ``"GE"`` is).

The labels are English. The web pages translate them: countries and currencies by the CLDR
(Babel), the other lists by the gettext catalogues, into which ``pybabel extract`` takes
their labels with :func:`adapters.reference.catalog.extract_labels`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from types import MappingProxyType
from typing import Any

__all__ = [
    "LIST_NAMES",
    "Coded",
    "Entry",
    "ReferenceList",
    "UnknownCode",
    "UnknownList",
    "all_lists",
    "reference",
    "versions",
]

LIST_NAMES: tuple[str, ...] = tuple(
    sorted(
        (
            "commodity_categories",
            "commodity_types",
            "company_roles",
            "concealment_methods",
            "conveyance_modes",
            "conveyance_types",
            "countries",
            "currencies",
            "detection_methods",
            "directions",
            "document_types",
            "genders",
            "information_evaluations",
            "place_kinds",
            "source_evaluations",
            "suspect_roles",
            "units",
        )
    )
)
"""Every reference list's name, sorted."""


class UnknownList(ValueError):
    """There is no reference list of that name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no reference list named {name!r} (lists: {', '.join(LIST_NAMES)})")


class UnknownCode(ValueError):
    """A code is not in a reference list."""

    def __init__(self, list_name: str, version: str, code: object) -> None:
        self.list_name = list_name
        self.code = code
        super().__init__(f"{code!r} is not a code of reference list {list_name!r} ({version})")


@dataclass(frozen=True)
class Entry:
    """One code of a list, its English label and the list's extra fields for it."""

    code: str
    label: str
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)


class ReferenceList:
    """A named, versioned list of codes; iterates over its entries in the file's order."""

    def __init__(self, name: str, version: str, source: str, entries: tuple[Entry, ...]) -> None:
        self.name = name
        self.version = version
        self.source = source
        self.entries = entries
        self._by_code: dict[str, Entry] = {}
        for entry in entries:
            if entry.code in self._by_code:
                raise ValueError(f"reference list {name!r} repeats code {entry.code!r}")
            self._by_code[entry.code] = entry

    def __repr__(self) -> str:
        return f"ReferenceList({self.name!r}, {self.version!r}, {len(self)} entries)"

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, code: str) -> Entry | None:
        """The entry for ``code``, or ``None`` if the list has no such code."""
        return self._by_code.get(code) if isinstance(code, str) else None

    def label(self, code: str) -> str:
        """The label of ``code``; :class:`UnknownCode` (naming this list) if it has none."""
        entry = self.get(code)
        if entry is None:
            raise UnknownCode(self.name, self.version, code)
        return entry.label

    @property
    def codes(self) -> frozenset[str]:
        """Every code of the list."""
        return frozenset(self._by_code)

    def as_dict(self) -> dict[str, Any]:
        """The list in its JSON file format (as loaded, and as exported for partners)."""
        return {
            "list": self.name,
            "version": self.version,
            "source": self.source,
            "entries": [{"code": e.code, "label": e.label, **e.data} for e in self.entries],
        }


@dataclass(frozen=True)
class Coded:
    """A code of a list given as a value of a message: it reads as its label (in English
    here; the web pages show it in the reader's language)."""

    list_name: str
    code: str

    def __str__(self) -> str:
        return reference(self.list_name).label(self.code)


def _entry(name: str, raw: Mapping[str, Any]) -> Entry:
    extra = {key: value for key, value in raw.items() if key not in ("code", "label")}
    code, label = raw.get("code"), raw.get("label")
    if not isinstance(code, str) or not code or not isinstance(label, str) or not label:
        raise ValueError(f"reference list {name!r} has an entry without a code or label: {raw!r}")
    return Entry(code, label, MappingProxyType(extra))


@functools.cache
def reference(name: str) -> ReferenceList:
    """The reference list called ``name``, loaded once from the packaged JSON."""
    if name not in LIST_NAMES:
        raise UnknownList(name)
    path = files("adapters.reference") / "data" / f"{name}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("list") != name:
        raise ValueError(f"{name}.json holds the list {document.get('list')!r}, not {name!r}")
    return ReferenceList(
        name=name,
        version=str(document["version"]),
        source=str(document["source"]),
        entries=tuple(_entry(name, raw) for raw in document["entries"]),
    )


def all_lists() -> dict[str, ReferenceList]:
    """Every reference list by name, in name order."""
    return {name: reference(name) for name in LIST_NAMES}


def versions() -> dict[str, str]:
    """Each list's version by name; recorded with exports."""
    return {name: ref.version for name, ref in all_lists().items()}
