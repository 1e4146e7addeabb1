"""Where an export's rows come from: each dataset's filters, its row count and its stream.

The streams are the repositories' (``storage.cases``): rows fetched in batches of
``STREAM_BATCH`` through a server-side cursor, turned into export rows one at a time, so
no more than one batch is ever held. The counts are single ``COUNT(*)`` queries, made in
the same transaction as the stream (they agree with it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import func, select

from adapters.extraction.columns import (
    CEN_FEED,
    DATASETS,
    PARTY_KIND,
    SEIZURES,
    Dataset,
    ExtractionError,
    Row,
    feed_row,
    party_row,
    seizure_row,
)
from adapters.reference import reference
from storage.cases import CaseTables, FeedRow, PartyRow, SeizureFilter

STATUSES = ("draft", "submitted", "validated", "returned")


def dataset_named(name: str, *, importing: bool = False) -> Dataset:
    """The dataset called ``name``, or an error naming the ones there are."""
    dataset = DATASETS.get(name)
    choices = [d.name for d in DATASETS.values() if d.importable or not importing]
    if dataset is None or dataset.name not in choices:
        what = "imported" if importing else "exported"
        raise ExtractionError(
            f"no dataset {name!r} can be {what}; the datasets are: {', '.join(choices)}"
        )
    return dataset


@dataclass(frozen=True)
class Selection:
    """What to export: ``where`` for seizures (and its ``foreign`` for suspects and
    companies), ``since``/``until`` (seizure dates) for the CEN feed."""

    where: SeizureFilter
    since: date | None = None
    until: date | None = None

    def described(self) -> list[tuple[str, object]]:
        """The filters that are set, as ``(name, value)`` (for the XLSX ``about`` sheet)."""
        pairs = [(f.name, getattr(self.where, f.name)) for f in fields(self.where)]
        pairs += [("since", self.since), ("until", self.until)]
        return [(name, value) for name, value in pairs if value is not None]


def check_selection(dataset: Dataset, selection: Selection) -> None:
    """Refuse a filter the dataset does not have, or a code no reference list knows."""
    where = selection.where
    if dataset is CEN_FEED:
        given = [name for name, _ in selection.described() if name not in ("since", "until")]
        if given:
            raise ExtractionError(f"the cen-feed is filtered by date only (not {', '.join(given)})")
        return
    if selection.since is not None or selection.until is not None:
        raise ExtractionError(
            "since/until select the cen-feed's dates; for seizures they go in the filter"
        )
    if dataset is not SEIZURES:
        given = [n for n, _ in selection.described() if n != "foreign"]
        if given:
            raise ExtractionError(
                f"{dataset.name} are filtered by foreign/own only (not {', '.join(given)})"
            )
        return
    for value, list_name in (
        (where.category, "commodity_categories"),
        (where.place_kind, "place_kinds"),
    ):
        codes = reference(list_name).codes
        if value is not None and value not in codes:
            raise ExtractionError(
                f"{value!r} is not in {list_name}; choose from: {', '.join(sorted(codes))}"
            )
    if where.status is not None and where.status not in STATUSES:
        raise ExtractionError(
            f"no status {where.status!r}; the statuses are: {', '.join(STATUSES)}"
        )
    if where.since and where.until and where.since > where.until:
        raise ExtractionError(f"since {where.since} is after until {where.until}")


async def count_rows(tx: CaseTables, dataset: Dataset, selection: Selection) -> int:
    """How many rows the export of ``dataset`` will have."""
    if dataset is SEIZURES:
        return await tx.seizures.count(selection.where)
    if dataset is CEN_FEED:
        query = select(func.count(FeedRow.id))
        if selection.since is not None:
            query = query.where(FeedRow.seizure_date >= selection.since)
        if selection.until is not None:
            query = query.where(FeedRow.seizure_date <= selection.until)
    else:
        query = select(func.count(PartyRow.id)).where(PartyRow.kind == PARTY_KIND[dataset.name])
        if selection.where.foreign is not None:
            query = query.where(PartyRow.foreign == selection.where.foreign)
    return int(await tx.session.scalar(query) or 0)


async def stream_rows(tx: CaseTables, dataset: Dataset, selection: Selection) -> AsyncIterator[Row]:
    """The export rows of ``dataset``, in the order they were stored."""
    if dataset is SEIZURES:
        async for seizure in tx.seizures.stream(selection.where):
            yield seizure_row(seizure)
    elif dataset is CEN_FEED:
        async for filed in tx.feed.stream(selection.since, selection.until):
            yield feed_row(filed)
    else:
        kind = PARTY_KIND[dataset.name]
        async for party in tx.parties.stream(kind, selection.where.foreign):
            yield party_row(party)
