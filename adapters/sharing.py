"""Sharing validated cases with partner nodes, and filing the cases partners share with us.

A validated case goes as ``case.share`` to the ``cases`` mailbox of each chosen partner,
with its linked suspects and companies and a handling code (``message_schemas.vocabulary``):
H0 may be passed on, H1 may be used in analysis but not passed on, H2 is for information
only. The receiver files the case in its own store marked foreign (read-only, with its
origin and code) and enforces the code: passing on a case whose code forbids it is refused
with a clear error. A later revision of a shared case replaces the earlier one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from adapters.casestore import (
    VALIDATED,
    CaseStore,
    commodity_index,
    party_keys,
    seizure_columns,
)
from adapters.cen import CASES_MAILBOX
from adapters.errors import CaseError, HandlingRefused
from hub.accounts import Role
from message_schemas import (
    CaseShare,
    Company,
    HandlingCode,
    Message,
    Seizure,
    SharedCase,
    Suspect,
    node_of,
    record_document,
)
from storage.cases import CaseTables, PartyRow, SeizureRow

log = logging.getLogger(__name__)

HANDLING_MEANING = {
    HandlingCode.H0: "may be passed on",
    HandlingCode.H1: "may be used in analysis, not passed on",
    HandlingCode.H2: "information only",
}


class Sharing:
    """Case sharing of one node's case store."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store
        self.node = store.node

    async def attach(self) -> None:
        """Receive the partners' shares at ``cases@<this node>``."""
        await self.node.subscribe(CASES_MAILBOX, self.receive)

    async def share(
        self, username: str, ref: str, nodes: Sequence[str], handling_code: HandlingCode
    ) -> CaseShare:
        """Send validated case ``ref`` to partner ``nodes`` under ``handling_code`` (admins)."""
        await self.store.actor(username, [Role.ADMIN])
        targets = sorted(set(nodes) - {self.node.id})
        if not targets:
            raise CaseError("name at least one partner node to share with")
        async with self.store.unit() as tx:
            row = await self.store.case_row(tx, ref)
            if row.status != VALIDATED or row.validated_at is None:
                raise CaseError(f"case {ref} is {row.status}: only a validated case is shared")
            if row.foreign and not HandlingCode(row.handling_code).allows_resharing:
                code = HandlingCode(row.handling_code)
                raise HandlingRefused(
                    f"case {ref} came from {row.origin_node} under handling code {code} "
                    f"({HANDLING_MEANING[code]}): it may not be passed on"
                )
            shared = await self._shared_case(tx, row)
        message = CaseShare(
            sender=f"{CASES_MAILBOX}@{self.node.id}",
            to=[f"{CASES_MAILBOX}@{node}" for node in targets],
            case=shared,
            handling_code=handling_code,
        )
        await self.node.submit(message)
        async with self.store.unit() as tx:
            row = await tx.seizures.get(ref)
            for node in targets:
                await tx.seizures.record_share(row, node, handling_code, message.id, username)
        return message

    async def _shared_case(self, tx: CaseTables, row: SeizureRow) -> SharedCase:
        seizure = Seizure.model_validate(row.record)
        suspects = {
            link.ref: Suspect.model_validate((await tx.parties.get("suspect", link.ref)).record)
            for link in seizure.suspects
        }
        companies = {
            link.ref: Company.model_validate((await tx.parties.get("company", link.ref)).record)
            for link in seizure.companies
        }
        return SharedCase(
            ref=row.ref,
            origin_node=row.origin_node,
            revision=row.revision,
            validated_at=row.validated_at,  # type: ignore[arg-type]  (validated: checked above)
            seizure=seizure,
            suspects=suspects,
            companies=companies,
        )

    async def receive(self, messages: Sequence[Message]) -> None:
        """File partners' shares in this store, in the order they came."""
        for message in messages:
            await self._file_share(message)

    async def _file_share(self, message: Message) -> None:
        """File a partner's share in this store, marked foreign with its handling code."""
        if not isinstance(message, CaseShare):
            log.warning(
                "cases@%s ignores a %s message (%s)", self.node.id, message.type, message.id
            )
            return
        case, code, sender = message.case, message.handling_code, message.sender
        async with self.store.unit() as tx:
            held = await tx.seizures.find(case.ref, case.origin_node)
            if held is not None and held.revision >= case.revision:
                return  # this revision or a newer one is filed already
            parties = {
                **{
                    ref: await self._file_party(tx, ref, s, case.origin_node, code, sender)
                    for ref, s in case.suspects.items()
                },
                **{
                    ref: await self._file_party(tx, ref, c, case.origin_node, code, sender)
                    for ref, c in case.companies.items()
                },
            }
            columns = seizure_columns(case.seizure)
            if held is None:
                held = SeizureRow(
                    ref=case.ref,
                    status=VALIDATED,
                    foreign=True,
                    origin_node=case.origin_node,
                    created_by=sender,
                    **columns,
                )
                await tx.seizures.add(held, commodity_index(case.seizure.commodities))
                await tx.seizures.record_transition(
                    held,
                    VALIDATED,
                    sender,
                    [f"shared by {node_of(sender)} under {code}"],
                    created=True,
                )
            else:
                for name, value in columns.items():
                    setattr(held, name, value)
                await tx.seizures.update(held, commodity_index(case.seizure.commodities))
            held.handling_code, held.revision = code.value, case.revision
            held.validated_at = case.validated_at
            links = [
                (parties[link.ref], link.role)
                for link in (*case.seizure.suspects, *case.seizure.companies)
                if link.ref in parties
            ]
            await tx.seizures.link(held, links)

    async def _file_party(
        self,
        tx: CaseTables,
        ref: str,
        record: Suspect | Company,
        origin: str,
        code: HandlingCode,
        sender: str,
    ) -> PartyRow:
        kind = "suspect" if isinstance(record, Suspect) else "company"
        tokens, ids, display = party_keys(record)
        row = await tx.parties.find(kind, ref, origin)
        if row is None:
            row = PartyRow(
                kind=kind,
                ref=ref,
                display_name=display,
                foreign=True,
                origin_node=origin,
                handling_code=code.value,
                created_by=sender,
                record=record_document(record),
            )
            return await tx.parties.add(row, tokens, ids)
        row.record, row.display_name, row.handling_code = (
            record_document(record),
            display,
            code.value,
        )
        return await tx.parties.update(row, tokens, ids)
