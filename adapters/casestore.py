"""The case store: seizures and offences, the suspects and companies they link to, validation.

A case moves ``draft → submitted → validated``, or from ``submitted`` back to ``returned``
with reasons (and from there, corrected, to ``submitted`` again). A validated case that
needs correcting is reopened by an admin (back to ``draft``); its next validation is a new
revision, which supersedes the earlier one wherever it was sent. Every step is recorded
with who and when.

Who may do what: officers and admins enter and submit cases (an officer only the cases
they entered); only admins validate, return and reopen; analysts read. Foreign cases,
filed from partners' shares, are read-only.

The store talks to the hub only through the node's published interface (accounts,
``submit``, ``subscribe``) and keeps its records in its own tables (``storage.cases``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from adapters.errors import N_, CaseError, NotAllowed, QualityError, Word, WrongState
from adapters.names import fold, identifier_key, key_prefixes, matches, name_tokens
from adapters.quality import check_company, check_seizure, check_suspect
from hub.accounts import Account, Role
from hub.errors import HubError
from hub.node import Node
from message_schemas import Commodity, Company, Seizure, Suspect, new_id, record_document
from message_schemas.case_records import RecordRef
from storage import NotFound
from storage.cases import CaseTables, CommodityIndex, PartyRow, SeizureFilter, SeizureRow
from storage.cases.tables import TransitionRow

DRAFT, SUBMITTED, VALIDATED, RETURNED = (
    N_("draft"),
    N_("submitted"),
    N_("validated"),
    N_("returned"),
)
EDITABLE = (DRAFT, RETURNED)
ENTERING = (Role.OFFICER, Role.ADMIN)
SEARCH_LIMIT = 50
SEARCH_BREADTH = 4  # the index is asked for more, the match by one name keeps the right ones
PartyKind = Literal["suspect", "company"]

# what the store refuses, by the step asked for (the English the command line shows)
FOREIGN_CASE = {
    "edit": N_("case %(ref)s is %(node)s's, shared with this node: it cannot edit here"),
    "submit": N_("case %(ref)s is %(node)s's, shared with this node: it cannot submit here"),
    "validate": N_("case %(ref)s is %(node)s's, shared with this node: it cannot validate here"),
    "return": N_("case %(ref)s is %(node)s's, shared with this node: it cannot return here"),
    "reopen": N_("case %(ref)s is %(node)s's, shared with this node: it cannot reopen here"),
}
WRONG_STATE = {
    "edit": N_("case %(ref)s is %(status)s: only a draft or returned case can edit"),
    "submit": N_("case %(ref)s is %(status)s: only a draft or returned case can submit"),
    "validate": N_("case %(ref)s is %(status)s: only a submitted case can validate"),
    "return": N_("case %(ref)s is %(status)s: only a submitted case can return"),
    "reopen": N_("case %(ref)s is %(status)s: only a validated case can reopen"),
}
NOT_OWNER = {
    "edit": N_("case %(ref)s was entered by %(user)s: only they or an admin can edit it"),
    "submit": N_("case %(ref)s was entered by %(user)s: only they or an admin can submit it"),
}
FOREIGN_PARTY = {
    "suspect": N_("suspect %(ref)s is %(node)s's: it cannot be edited here"),
    "company": N_("company %(ref)s is %(node)s's: it cannot be edited here"),
}


@dataclass(frozen=True)
class CaseView:
    """A case as its users see it: the record and where it stands."""

    ref: str
    status: str
    revision: int
    seizure: Seizure
    foreign: bool
    origin_node: str
    handling_code: str | None
    created_by: str
    updated_at: datetime
    validated_at: datetime | None

    @classmethod
    def of(cls, row: SeizureRow) -> CaseView:
        return cls(
            ref=row.ref,
            status=row.status,
            revision=row.revision,
            seizure=Seizure.model_validate(row.record),
            foreign=row.foreign,
            origin_node=row.origin_node,
            handling_code=row.handling_code,
            created_by=row.created_by,
            updated_at=row.updated_at,
            validated_at=row.validated_at,
        )


@dataclass(frozen=True)
class PartyView:
    kind: PartyKind
    ref: str
    record: Suspect | Company
    foreign: bool
    origin_node: str
    handling_code: str | None

    @classmethod
    def of(cls, row: PartyRow) -> PartyView:
        model = Suspect if row.kind == "suspect" else Company
        return cls(
            kind=row.kind,  # type: ignore[arg-type]
            ref=row.ref,
            record=model.model_validate(row.record),
            foreign=row.foreign,
            origin_node=row.origin_node,
            handling_code=row.handling_code,
        )


def commodity_index(commodities: Sequence[Commodity]) -> list[CommodityIndex]:
    return [CommodityIndex(c.category, c.type, c.quantity, c.unit) for c in commodities]


def seizure_columns(seizure: Seizure) -> dict[str, object]:
    """The indexed columns of a case, taken from its record."""
    return {
        "case_number": seizure.case_number,
        "occurred_on": seizure.occurred_at.date() if seizure.occurred_at else None,
        "office": seizure.office,
        "place_kind": seizure.place_kind,
        "direction": seizure.direction,
        "record": record_document(seizure),
    }


def party_keys(record: Suspect | Company) -> tuple[list[str], list[str], str]:
    """Search keys of a party: its name words, its identifiers, and its display name."""
    names = _names(record)
    if isinstance(record, Suspect):
        ids = [document.number for document in record.documents]
    else:
        ids = [record.registration_number or ""]
    tokens = sorted({token for name in names for token in name_tokens(name)})
    display = names[0] if names else ""
    return tokens, [key for key in map(identifier_key, ids) if key], display


class CaseStore:
    """The national case store of one node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.db = node.db

    def unit(self) -> AbstractAsyncContextManager[CaseTables]:
        """A transaction over the case stores' tables."""
        return self.db.unit(CaseTables)

    def reading(self) -> AbstractAsyncContextManager[CaseTables]:
        """A transaction that only reads: on SQLite it does not queue behind the writers
        (a search or a case page is not held up by a feed being filed)."""
        return self.db.unit(CaseTables, reads_only=True)

    async def actor(self, username: str, roles: Sequence[Role] = tuple(Role)) -> Account:
        """The active user ``username``, if their role is one of ``roles``."""
        try:
            account = await self.node.accounts.get(username)
        except HubError as exc:
            raise NotAllowed(str(exc)) from exc
        if not account.active:
            raise NotAllowed(N_("%(user)s is deactivated"), user=username)
        if account.role not in roles:
            raise NotAllowed(
                N_("%(user)s is %(role)s: this needs %(allowed)s"),
                user=username,
                role=account.role,
                allowed=" or ".join(sorted(roles)),
            )
        return account

    # -- seizures ---------------------------------------------------------------------------

    async def create(self, username: str, seizure: Seizure) -> CaseView:
        """File a new case as a draft (incomplete is fine: the checks come at submission)."""
        await self.actor(username, ENTERING)
        async with self.unit() as tx:
            await self._check_links(tx, seizure, strict=False)
            row = SeizureRow(
                ref=new_ref(),
                status=DRAFT,
                origin_node=self.node.id,
                created_by=username,
                **seizure_columns(seizure),
            )
            await tx.seizures.add(row, commodity_index(seizure.commodities))
            await tx.seizures.record_transition(row, DRAFT, username, created=True)
            await tx.seizures.link(row, await self._links(tx, seizure))
            return CaseView.of(row)

    async def update(self, username: str, ref: str, seizure: Seizure) -> CaseView:
        account = await self.actor(username, ENTERING)
        async with self.unit() as tx:
            row = await self._own(tx, ref, account, EDITABLE, "edit")
            await self._check_links(tx, seizure, strict=False)
            for name, value in seizure_columns(seizure).items():
                setattr(row, name, value)
            await tx.seizures.update(row, commodity_index(seizure.commodities))
            await tx.seizures.link(row, await self._links(tx, seizure))
            return CaseView.of(row)

    async def submit(self, username: str, ref: str) -> CaseView:
        """Send the case for validation; blocked, with every problem listed, if it fails a check."""
        account = await self.actor(username, ENTERING)
        async with self.unit() as tx:
            row = await self._own(tx, ref, account, EDITABLE, "submit")
            seizure = Seizure.model_validate(row.record)
            await self._check_links(tx, seizure, strict=True)
            await tx.seizures.record_transition(row, SUBMITTED, username)
            return CaseView.of(row)

    async def validate(self, username: str, ref: str) -> CaseView:
        await self.actor(username, [Role.ADMIN])
        async with self.unit() as tx:
            row = await self._case(tx, ref, (SUBMITTED,), "validate")
            row.revision += 1
            row.validated_at = datetime.now(UTC)
            await tx.seizures.record_transition(row, VALIDATED, username)
            return CaseView.of(row)

    async def return_case(self, username: str, ref: str, reasons: Sequence[str]) -> CaseView:
        await self.actor(username, [Role.ADMIN])
        reasons = [reason.strip() for reason in reasons if reason.strip()]
        if not reasons:
            raise CaseError(N_("say why the case goes back: at least one reason"))
        async with self.unit() as tx:
            row = await self._case(tx, ref, (SUBMITTED,), "return")
            await tx.seizures.record_transition(row, RETURNED, username, reasons)
            return CaseView.of(row)

    async def reopen(self, username: str, ref: str, reason: str) -> CaseView:
        """Open a validated case for correction; its next validation supersedes this one."""
        await self.actor(username, [Role.ADMIN])
        if not reason.strip():
            raise CaseError(N_("say why the case is reopened"))
        async with self.unit() as tx:
            row = await self._case(tx, ref, (VALIDATED,), "reopen")
            await tx.seizures.record_transition(row, DRAFT, username, [reason.strip()])
            return CaseView.of(row)

    async def get(self, ref: str) -> CaseView:
        async with self.reading() as tx:
            return CaseView.of(await self.case_row(tx, ref))

    async def history(self, ref: str) -> list[TransitionRow]:
        async with self.reading() as tx:
            return list(await tx.seizures.history(await self.case_row(tx, ref)))

    async def list(
        self, where: SeizureFilter | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[CaseView]:
        async with self.reading() as tx:
            rows = await tx.seizures.list(where or SeizureFilter(), limit=limit, offset=offset)
            return [CaseView.of(row) for row in rows]

    async def case_row(self, tx: CaseTables, ref: str) -> SeizureRow:
        """The case ``ref``, or a clear error."""
        try:
            return await tx.seizures.get(ref)
        except NotFound as exc:
            raise CaseError(str(exc)) from exc

    async def _case(
        self, tx: CaseTables, ref: str, states: Sequence[str], action: str
    ) -> SeizureRow:
        """The case ``ref`` if it is this node's and in one of ``states`` (those that allow
        ``action``, a key of :data:`WRONG_STATE`)."""
        row = await self.case_row(tx, ref)
        if row.foreign:
            raise WrongState(FOREIGN_CASE[action], ref=ref, node=row.origin_node)
        if row.status not in states:
            raise WrongState(WRONG_STATE[action], ref=ref, status=Word(row.status))
        return row

    async def _own(
        self, tx: CaseTables, ref: str, account: Account, states: Sequence[str], action: str
    ) -> SeizureRow:
        row = await self._case(tx, ref, states, action)
        if account.role != Role.ADMIN and row.created_by != account.username:
            raise NotAllowed(NOT_OWNER[action], ref=ref, user=row.created_by)
        return row

    async def _check_links(self, tx: CaseTables, seizure: Seizure, *, strict: bool) -> None:
        """Links must name records of this store; ``strict`` adds every quality check."""
        known = {
            kind: {
                link.ref
                for link in links
                if await tx.parties.find(kind, link.ref, self.node.id) is not None
            }
            for kind, links in (("suspect", seizure.suspects), ("company", seizure.companies))
        }
        problems = check_seizure(
            seizure, known_suspects=known["suspect"], known_companies=known["company"]
        )
        if not strict:
            problems = [p for p in problems if p.field.endswith(".ref")]
        if problems:
            raise QualityError(f"case {seizure.case_number or '(no number)'}", problems)

    async def _links(self, tx: CaseTables, seizure: Seizure) -> list[tuple[PartyRow, str | None]]:
        links = []
        for kind, group in (("suspect", seizure.suspects), ("company", seizure.companies)):
            for link in group:
                links.append((await tx.parties.get(kind, link.ref), link.role))
        return links

    # -- suspects and companies -----------------------------------------------------------

    async def add_party(self, username: str, record: Suspect | Company) -> PartyView:
        """Add a suspect or a company (checked: every problem at once)."""
        await self.actor(username, ENTERING)
        kind = _kind_of(record)
        _check_party(record)
        tokens, ids, display = party_keys(record)
        async with self.unit() as tx:
            row = PartyRow(
                kind=kind,
                ref=new_ref(),
                display_name=display,
                origin_node=self.node.id,
                created_by=username,
                record=record_document(record),
            )
            await tx.parties.add(row, tokens, ids)
            return PartyView.of(row)

    async def update_party(self, username: str, ref: str, record: Suspect | Company) -> PartyView:
        await self.actor(username, ENTERING)
        kind = _kind_of(record)
        _check_party(record)
        tokens, ids, display = party_keys(record)
        async with self.unit() as tx:
            row = await self._party_row(tx, kind, ref)
            if row.foreign:
                raise WrongState(FOREIGN_PARTY[kind], ref=ref, node=row.origin_node)
            row.record, row.display_name = record_document(record), display
            await tx.parties.update(row, tokens, ids)
            return PartyView.of(row)

    async def party(self, kind: PartyKind, ref: str) -> PartyView:
        async with self.reading() as tx:
            return PartyView.of(await self._party_row(tx, kind, ref))

    async def search(
        self,
        kind: PartyKind,
        *,
        name: str | None = None,
        identifier: str | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> list[PartyView]:
        """By name (any script, accents and case ignored, words as prefixes) and/or by
        document or registration number.

        A word typed up to the middle of a digraph ("berid" for Beridze, whose key reads
        "berize") is found too: the index is asked for each key beginning the word may
        stand for (``key_prefixes``: "berid" or "beriz"). The index holds the words of
        all of a party's names together, so ``matches`` keeps the parties one of whose
        names the query begins. The index is read ``limit`` parties at a time, up to
        ``limit * SEARCH_BREADTH``, until ``limit`` of them are kept.
        """
        words = fold(name or "").split()
        key = identifier_key(identifier) if identifier else None
        if not words and not key:
            raise CaseError(N_("search by a name or a number"))
        prefixes = [key_prefixes(word) for word in words]
        views: list[PartyView] = []
        after = None
        async with self.reading() as tx:
            for _ in range(SEARCH_BREADTH):
                rows = await tx.parties.search(
                    kind, name_prefixes=prefixes, identifier=key, after=after, limit=limit
                )
                views += [view for view in map(PartyView.of, rows) if _named(view, name)]
                if len(views) >= limit or len(rows) < limit:
                    break
                after = rows[-1].id
        return views[:limit]

    async def cases_of(self, kind: PartyKind, ref: str) -> list[tuple[CaseView, str | None]]:
        async with self.reading() as tx:
            party = await self._party_row(tx, kind, ref)
            return [(CaseView.of(row), role) for row, role in await tx.seizures.cases_of(party)]

    async def _party_row(self, tx: CaseTables, kind: str, ref: str) -> PartyRow:
        try:
            return await tx.parties.get(kind, ref)
        except NotFound as exc:
            raise CaseError(str(exc)) from exc


def _names(record: Suspect | Company) -> list[str]:
    return record.names if isinstance(record, Suspect) else [record.name or ""]


def _named(view: PartyView, name: str | None) -> bool:
    """Whether no name was asked for, or one of the party's names begins with it."""
    return not name or any(matches(name, n) for n in _names(view.record))


def new_ref() -> RecordRef:
    return new_id()


def _kind_of(record: BaseModel) -> PartyKind:
    return "suspect" if isinstance(record, Suspect) else "company"


def _check_party(record: Suspect | Company) -> None:
    problems = check_suspect(record) if isinstance(record, Suspect) else check_company(record)
    if problems:
        raise QualityError(f"this {_kind_of(record)}", problems)
