"""What the case stores may do to their tables inside one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    CompoundSelect,
    Select,
    Text,
    cast,
    delete,
    false,
    func,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import BulkInsert
from storage.cases.tables import (
    CommodityRow,
    FeedRow,
    LinkRow,
    PartyKeyRow,
    PartyRow,
    SeizureRow,
    ShareRow,
    TransitionRow,
    TransmissionRow,
)
from storage.errors import NotFound
from storage.store import in_chunks

STREAM_BATCH = 1000


class Untransmitted(NamedTuple):
    """A validated case still to go to the CEN: its row, and its record as JSON text."""

    id: int
    ref: str
    case_number: str | None
    revision: int
    record: str


@dataclass(frozen=True)
class CommodityIndex:
    category: str | None
    type: str | None
    quantity: Decimal | None
    unit: str | None


@dataclass(frozen=True)
class SeizureFilter:
    """Which seizures to list or export; ``None`` means any."""

    since: date | None = None
    until: date | None = None
    category: str | None = None
    place_kind: str | None = None
    status: str | None = None
    foreign: bool | None = None


#: the CEN transmissions recorded, a page of cases at a time (the whole CEN's 315,000 in all)
_TRANSMISSIONS = BulkInsert(
    TransmissionRow.__table__, ("seizure_id", "revision", "message_id"), shared=("sent_at",)
)


class SeizureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: SeizureRow, commodities: Sequence[CommodityIndex]) -> SeizureRow:
        self.session.add(row)
        await self.session.flush()
        await self._index(row, commodities)
        return row

    async def update(self, row: SeizureRow, commodities: Sequence[CommodityIndex]) -> SeizureRow:
        row.updated_at = datetime.now(UTC)
        await self.session.execute(delete(CommodityRow).where(CommodityRow.seizure_id == row.id))
        await self._index(row, commodities)
        return row

    async def _index(self, row: SeizureRow, commodities: Sequence[CommodityIndex]) -> None:
        self.session.add_all(
            CommodityRow(seizure_id=row.id, position=i, **vars(c))
            for i, c in enumerate(commodities)
        )
        await self.session.flush()

    async def find(self, ref: str, origin_node: str | None = None) -> SeizureRow | None:
        query = select(SeizureRow).where(SeizureRow.ref == ref)
        if origin_node is not None:
            query = query.where(SeizureRow.origin_node == origin_node)
        return (await self.session.scalars(query.limit(1))).first()

    async def get(self, ref: str) -> SeizureRow:
        row = await self.find(ref)
        if row is None:
            raise NotFound(f"no case {ref!r} at this node")
        return row

    async def by_case_number(self, case_number: str) -> Sequence[SeizureRow]:
        query = select(SeizureRow).where(SeizureRow.case_number == case_number)
        return (await self.session.scalars(query)).all()

    def _filtered(self, where: SeizureFilter) -> Select[tuple[SeizureRow]]:
        query = select(SeizureRow)
        if where.since is not None:
            query = query.where(SeizureRow.occurred_on >= where.since)
        if where.until is not None:
            query = query.where(SeizureRow.occurred_on <= where.until)
        if where.place_kind is not None:
            query = query.where(SeizureRow.place_kind == where.place_kind)
        if where.status is not None:
            query = query.where(SeizureRow.status == where.status)
        if where.foreign is not None:
            query = query.where(SeizureRow.foreign == where.foreign)
        if where.category is not None:
            query = query.where(
                SeizureRow.id.in_(
                    select(CommodityRow.seizure_id).where(CommodityRow.category == where.category)
                )
            )
        return query

    async def list(
        self, where: SeizureFilter, *, limit: int = 100, offset: int = 0
    ) -> Sequence[SeizureRow]:
        query = self._filtered(where).order_by(SeizureRow.id.desc()).limit(limit).offset(offset)
        return (await self.session.scalars(query)).all()

    async def count(self, where: SeizureFilter) -> int:
        subquery = self._filtered(where).subquery()
        return int(await self.session.scalar(select(func.count()).select_from(subquery)) or 0)

    async def stream(self, where: SeizureFilter) -> AsyncIterator[SeizureRow]:
        """Every matching case in id order, fetched in batches (never all in memory)."""
        query = self._filtered(where).order_by(SeizureRow.id)
        result = await self.session.stream_scalars(query.execution_options(yield_per=STREAM_BATCH))
        async for row in result:
            yield row

    async def record_transition(
        self,
        row: SeizureRow,
        to_status: str,
        actor: str,
        reasons: Sequence[str] = (),
        *,
        created: bool = False,
    ) -> TransitionRow:
        """Move the case to ``to_status`` and keep the step (``created``: its first one)."""
        step = TransitionRow(
            seizure_id=row.id,
            from_status=None if created else row.status,
            to_status=to_status,
            actor=actor,
            reasons=list(reasons),
        )
        row.status = to_status
        row.updated_at = datetime.now(UTC)
        self.session.add(step)
        await self.session.flush()
        return step

    async def history(self, row: SeizureRow) -> Sequence[TransitionRow]:
        query = (
            select(TransitionRow)
            .where(TransitionRow.seizure_id == row.id)
            .order_by(TransitionRow.id)
        )
        return (await self.session.scalars(query)).all()

    async def link(self, row: SeizureRow, links: Sequence[tuple[PartyRow, str | None]]) -> None:
        await self.session.execute(delete(LinkRow).where(LinkRow.seizure_id == row.id))
        self.session.add_all(
            LinkRow(seizure_id=row.id, party_id=party.id, role=role) for party, role in links
        )
        await self.session.flush()

    async def cases_of(self, party: PartyRow) -> Sequence[tuple[SeizureRow, str | None]]:
        query = (
            select(SeizureRow, LinkRow.role)
            .join(LinkRow, LinkRow.seizure_id == SeizureRow.id)
            .where(LinkRow.party_id == party.id)
            .order_by(SeizureRow.id)
        )
        return [(seizure, role) for seizure, role in (await self.session.execute(query)).all()]

    async def untransmitted(
        self, after: int = 0, limit: int | None = None
    ) -> Sequence[Untransmitted]:
        """Validated cases of this node whose current revision has not gone to the CEN, by
        row id; ``after`` and ``limit`` read them a page at a time. Each record comes as
        the JSON text stored (to be validated straight from it: no dict in between)."""
        sent = select(TransmissionRow.id).where(
            TransmissionRow.seizure_id == SeizureRow.id,
            TransmissionRow.revision == SeizureRow.revision,
        )
        query = (
            select(
                SeizureRow.id,
                SeizureRow.ref,
                SeizureRow.case_number,
                SeizureRow.revision,
                cast(SeizureRow.record, Text).label("record"),
            )
            .where(SeizureRow.status == "validated", ~SeizureRow.foreign, ~sent.exists())
            .where(SeizureRow.id > after)
            .order_by(SeizureRow.id)
            .limit(limit)
        )
        return [Untransmitted(*row) for row in await self.session.execute(query)]

    async def record_transmissions(self, sent: Sequence[tuple[int, int, str]]) -> None:
        """Keep that these (seizure id, revision, message id) went to the CEN: one
        ``INSERT`` for them all."""
        await _TRANSMISSIONS(self.session, sent, sent_at=datetime.now(UTC))

    async def record_share(
        self, row: SeizureRow, node: str, handling_code: str, message_id: str, actor: str
    ) -> None:
        self.session.add(
            ShareRow(
                seizure_id=row.id,
                node=node,
                handling_code=handling_code,
                message_id=message_id,
                actor=actor,
            )
        )
        await self.session.flush()

    async def shares(self, row: SeizureRow) -> Sequence[ShareRow]:
        query = select(ShareRow).where(ShareRow.seizure_id == row.id).order_by(ShareRow.id)
        return (await self.session.scalars(query)).all()


class PartyRepository:
    """Suspects and companies, with their search keys."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: PartyRow, names: Sequence[str], ids: Sequence[str]) -> PartyRow:
        self.session.add(row)
        await self.session.flush()
        await self._index(row, names, ids)
        return row

    async def update(self, row: PartyRow, names: Sequence[str], ids: Sequence[str]) -> PartyRow:
        row.updated_at = datetime.now(UTC)
        await self.session.execute(delete(PartyKeyRow).where(PartyKeyRow.party_id == row.id))
        await self._index(row, names, ids)
        return row

    async def _index(self, row: PartyRow, names: Sequence[str], ids: Sequence[str]) -> None:
        keys = {("name", key) for key in names if key} | {("id", key) for key in ids if key}
        self.session.add_all(
            PartyKeyRow(party_id=row.id, party_kind=row.kind, kind=k, key=v) for k, v in keys
        )
        await self.session.flush()

    async def find(self, kind: str, ref: str, origin_node: str | None = None) -> PartyRow | None:
        query = select(PartyRow).where(PartyRow.kind == kind, PartyRow.ref == ref)
        if origin_node is not None:
            query = query.where(PartyRow.origin_node == origin_node)
        return (await self.session.scalars(query.limit(1))).first()

    async def find_many(
        self, kind: str, refs: Sequence[str], origin_node: str
    ) -> dict[str, PartyRow]:
        """The parties of one kind and origin that these refs name (absent: not found)."""
        found: dict[str, PartyRow] = {}
        for chunk in in_chunks(list(dict.fromkeys(refs))):
            query = select(PartyRow).where(
                PartyRow.kind == kind, PartyRow.origin_node == origin_node, PartyRow.ref.in_(chunk)
            )
            found.update((row.ref, row) for row in await self.session.scalars(query))
        return found

    async def get(self, kind: str, ref: str) -> PartyRow:
        row = await self.find(kind, ref)
        if row is None:
            raise NotFound(f"no {kind} {ref!r} at this node")
        return row

    async def search(
        self,
        kind: str,
        *,
        name_prefixes: Sequence[Iterable[str]] = (),
        identifier: str | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> Sequence[PartyRow]:
        """Parties with, for each entry of ``name_prefixes``, a name word that starts with
        one of its prefixes; and/or with that identifier. The first ``limit`` by id (after
        the id ``after``).

        The party ids come from ranges of the keys' index (which knows the party's kind),
        in order; then only the first ``limit`` parties are read, by id. A condition on
        ``PartyRow.kind`` here would let SQLite (without statistics) read every party of
        the kind instead, and look each up in the keys.
        """
        query = select(PartyRow)
        if not name_prefixes and identifier is None:
            query = query.where(PartyRow.kind == kind)
        if after is not None:
            query = query.where(PartyRow.id > after)
        for prefixes in name_prefixes:
            query = query.where(PartyRow.id.in_(self._named(kind, prefixes)))
        if identifier is not None:
            query = query.where(
                PartyRow.id.in_(self._keys(kind, "id").where(PartyKeyRow.key == identifier))
            )
        return (await self.session.scalars(query.order_by(PartyRow.id).limit(limit))).all()

    @staticmethod
    def _keys(party_kind: str, kind: str) -> Select[tuple[int]]:
        return select(PartyKeyRow.party_id).where(
            PartyKeyRow.party_kind == party_kind, PartyKeyRow.kind == kind
        )

    @classmethod
    def _named(
        cls, party_kind: str, prefixes: Iterable[str]
    ) -> Select[tuple[int]] | CompoundSelect[tuple[int]]:
        """Parties with a name key that starts with one of ``prefixes``: one range of the
        index each, ``prefix <= key < successor`` (keys compare byte by byte:
        ``tables.KEY``), in a ``UNION ALL`` (SQLite reads ranges joined by OR as one
        scan of every name key)."""
        query = cls._keys(party_kind, "name")
        widest = _widest(prefixes)
        if "" in widest:  # then the only one: every name starts with it
            return query
        ranges = [
            query.where(PartyKeyRow.key >= prefix, PartyKeyRow.key < _successor(prefix))
            for prefix in widest
        ]
        if len(ranges) > 1:
            return union_all(*ranges)
        return ranges[0] if ranges else query.where(false())

    async def stream(self, kind: str, foreign: bool | None = None) -> AsyncIterator[PartyRow]:
        query = select(PartyRow).where(PartyRow.kind == kind).order_by(PartyRow.id)
        if foreign is not None:
            query = query.where(PartyRow.foreign == foreign)
        result = await self.session.stream_scalars(query.execution_options(yield_per=STREAM_BATCH))
        async for row in result:
            yield row


def _widest(prefixes: Iterable[str]) -> list[str]:
    """The prefixes that no other one of them starts, sorted: 'ber', 'tam' of 'beri', 'ber', 'tam'."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes)):
        if not (kept and prefix.startswith(kept[-1])):
            kept.append(prefix)
    return kept


def _successor(prefix: str) -> str:
    """The least string after every string that starts with ``prefix`` (not empty)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True)
class FeedEntry:
    """One ``cen.seizure`` as the WCO's feed keeps it."""

    seizure_ref: str
    origin_node: str
    revision: int
    message_id: str
    seizure_date: date
    record: dict[str, Any]


#: the feed's new rows, in :class:`FeedRepository.file`'s order of keys
_FEED_COLUMNS = ("seizure_ref", "origin_node", "revision", "message_id", "seizure_date", "record")
_FEED = BulkInsert(FeedRow.__table__, (*_FEED_COLUMNS, "superseded"), shared=("received_at",))


class FeedRepository:
    """The global CEN's intake at the WCO's node: the newest revision of each seizure."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def file(self, entries: Sequence[FeedEntry]) -> list[str]:
        """Keep each record unless a newer revision is held; per entry ``new``,
        ``superseded`` or ``stale``. One lookup per thousand entries."""
        held: dict[str, FeedRow] = {}
        refs = list(dict.fromkeys(e.seizure_ref for e in entries))
        for chunk in in_chunks(refs):
            for row in await self.session.scalars(
                select(FeedRow).where(FeedRow.seizure_ref.in_(chunk))
            ):
                held[row.seizure_ref] = row
        outcomes = []
        now = datetime.now(UTC)
        new: dict[str, dict[str, Any]] = {}  # inserted at the end, in one statement
        for entry in entries:
            row = held.get(entry.seizure_ref)
            first = new.get(entry.seizure_ref)
            held_revision = row.revision if row else first["revision"] if first else None
            if held_revision is None:
                new[entry.seizure_ref] = {
                    "seizure_ref": entry.seizure_ref,
                    "origin_node": entry.origin_node,
                    "revision": entry.revision,
                    "message_id": entry.message_id,
                    "seizure_date": entry.seizure_date,
                    "record": entry.record,
                    "superseded": 0,
                }
                outcomes.append("new")
            elif held_revision >= entry.revision:
                outcomes.append("stale")
            else:
                newer = {
                    "revision": entry.revision,
                    "message_id": entry.message_id,
                    "record": entry.record,
                    "seizure_date": entry.seizure_date,
                    "received_at": now,
                }
                if row is not None:
                    for name, value in newer.items():
                        setattr(row, name, value)
                    row.superseded += 1
                elif first is not None:  # an earlier revision in this same batch
                    first.update(newer, superseded=first["superseded"] + 1)
                outcomes.append("superseded")
        rows = [(*(n[c] for c in _FEED_COLUMNS), n["superseded"]) for n in new.values()]
        await _FEED(self.session, rows, received_at=now)
        await self.session.flush()
        return outcomes

    def _filtered(self, since: date | None, until: date | None) -> Select[tuple[FeedRow]]:
        query = select(FeedRow)
        if since is not None:
            query = query.where(FeedRow.seizure_date >= since)
        if until is not None:
            query = query.where(FeedRow.seizure_date <= until)
        return query

    async def list(
        self, since: date | None = None, until: date | None = None, limit: int = 100
    ) -> Sequence[FeedRow]:
        query = self._filtered(since, until).order_by(FeedRow.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(FeedRow.id))) or 0)

    async def stream(
        self, since: date | None = None, until: date | None = None
    ) -> AsyncIterator[FeedRow]:
        query = self._filtered(since, until).order_by(FeedRow.id)
        result = await self.session.stream_scalars(query.execution_options(yield_per=STREAM_BATCH))
        async for row in result:
            yield row


class CaseTables:
    """The case stores' unit of work: their repositories sharing one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seizures = SeizureRepository(session)
        self.parties = PartyRepository(session)
        self.feed = FeedRepository(session)
