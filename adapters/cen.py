"""The CEN feed: the non-nominal projection of validated seizures, sent to the WCO with one click.

At a national node, ``CenLink.transmit`` sends every validated seizure whose current revision
has not gone yet, each as a ``cen.seizure`` message to ``cen@wco``. The projection is an
allow-list (``project``): it copies only non-nominal fields, codes and countries, and turns
a suspect into nationality, gender and an age band. Names, documents, addresses, plates,
company identities, free text and photos are never read into it.

Sending again is idempotent: a message's id is derived from the seizure and its revision,
so a transmission interrupted after the hub took the messages sends nothing twice when it
is run again. A corrected case (reopened and validated again) is a new revision, which the
WCO's node files in place of the earlier one.

At the WCO's node, ``CenIntake`` takes what reaches ``cen@wco`` and keeps the newest
revision of each seizure in its feed, which ``icomm cen feed`` lists and ``icomm export
cen-feed`` extracts.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import get_args

from adapters.casestore import CaseStore
from hub.accounts import Role
from hub.node import Node
from message_schemas import CenCommodity, CenOffender, CenSeizure, Message, Seizure, Suspect
from message_schemas.vocabulary import AgeBand, ConveyanceMode, Gender
from storage import Store
from storage.cases import CaseTables, FeedEntry, FeedRow

log = logging.getLogger(__name__)

WCO_NODE = "wco"
CEN_MAILBOX = "cen"
CEN_ADDRESS = f"{CEN_MAILBOX}@{WCO_NODE}"
CASES_MAILBOX = "cases"
CHUNK = 500  # seizures per hub transaction
#: seizures filed into the feed in one transaction at the WCO (a projection is a couple of
#: kilobytes; with the hub's default of 100 the whole CEN took ≈ 5 to 10 % longer)
INTAKE_BATCH = 500

AGE_BANDS: tuple[tuple[int, AgeBand], ...] = (
    (18, "<18"),
    (26, "18-25"),
    (36, "26-35"),
    (46, "36-45"),
    (56, "46-55"),
    (66, "56-65"),
)


def age_band(born: date | None, on: date) -> AgeBand:
    """The age band of someone born on ``born`` at the date of the seizure."""
    if born is None or born > on:
        return "unknown"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((band for limit, band in AGE_BANDS if age < limit), ">65")


def offender(suspect: Suspect, on: date) -> CenOffender:
    gender = suspect.gender if suspect.gender in get_args(Gender) else "unknown"
    return CenOffender(
        nationality=suspect.nationality,
        gender=gender,  # type: ignore[arg-type]
        age_band=age_band(suspect.date_of_birth, on),
    )


def seizure_ref(node: str, case_ref: str) -> str:
    """The reference the CEN knows a case by: the node and the case's random ref, nothing else."""
    return f"{node}:{case_ref}"


def message_id(ref: str, revision: int) -> str:
    """The same seizure revision always travels under the same message id.

    Its first 12 hex digits are the case ref's (the time a UUID version 7 ref was made,
    already in ``seizure_ref``), the other 20 a digest of the ref and revision: the ids of
    a transmission, which goes in the cases' order, sort in that order, and the indexes
    on message ids at both ends grow at one end (a digest alone scattered them)."""
    case_ref = ref.split(":", 1)[1]
    digest = hashlib.sha256(f"cen.seizure:{ref}:{revision}".encode()).hexdigest()
    return case_ref[:12] + digest[:20]


def project(
    node: str, case_ref: str, revision: int, seizure: Seizure, suspects: Mapping[str, Suspect]
) -> CenSeizure:
    """The ``cen.seizure`` of a validated case: an allow-list of non-nominal fields."""
    if seizure.occurred_at is None or not seizure.commodities:
        raise ValueError(f"case {case_ref} is incomplete: it cannot have been validated")
    on = seizure.occurred_at.date()
    conveyance = seizure.conveyance
    mode = conveyance.mode if conveyance and conveyance.mode in get_args(ConveyanceMode) else None
    ref = seizure_ref(node, case_ref)
    return CenSeizure(
        id=message_id(ref, revision),
        sender=f"{CASES_MAILBOX}@{node}",
        to=[CEN_ADDRESS],
        seizure_ref=ref,
        revision=revision,
        seizure_date=on,
        office=seizure.office,
        place_kind=seizure.place_kind,
        direction=seizure.direction,
        commodities=[
            CenCommodity(
                category=c.category,
                type=c.type,
                quantity=c.quantity,
                unit=c.unit,
                value=c.value,
                currency=c.currency if c.value is not None else None,
            )
            for c in seizure.commodities
        ],
        detection_method=seizure.detection_method,
        concealment_method=seizure.concealment_method,
        conveyance_mode=mode,
        conveyance_type=conveyance.type if conveyance else None,
        departure_country=seizure.route.departure,
        destination_country=seizure.route.destination,
        transit_countries=seizure.route.transit,
        offenders=[
            offender(suspects[link.ref], on) for link in seizure.suspects if link.ref in suspects
        ],
    )  # type: ignore[arg-type]


@dataclass(frozen=True)
class Transmission:
    seizure_id: int  # the case's row, to record the transmission without looking it up again
    case_ref: str
    case_number: str | None
    revision: int
    message: CenSeizure


@dataclass(frozen=True)
class Sent:
    """A seizure revision handed to the hub for ``cen@wco``: what a transmission answers,
    small, so that sending the whole CEN keeps no projection in memory (the projections of
    315,000 seizures held ≈ 1.5 GB)."""

    case_ref: str
    case_number: str | None
    revision: int
    message_id: str


class CenLink:
    """A national node's side: what will go to the CEN, and the one-click transmission."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store
        self.node: Node = store.node

    async def pending(self) -> list[Transmission]:
        """Every validated seizure whose current revision has not gone, as it would go."""
        pending: list[Transmission] = []
        async for page in self._pages():
            pending += page
        return pending

    async def transmit(self, username: str) -> list[Sent]:
        """Send what is pending to ``cen@wco`` (admins only); returns what was sent.

        A page of cases at a time: projected, submitted, recorded as sent, so that memory
        stays flat however many cases go (only a small :class:`Sent` a case is kept), and an
        interruption leaves only whole pages sent (the next click sends the rest; a page
        sent twice is the same messages, which the hub submits once).
        """
        await self.store.actor(username, [Role.ADMIN])
        sent: list[Sent] = []
        async for page in self._pages():
            await self.node.submit_many([t.message for t in page])
            async with self.store.unit() as tx:
                await tx.seizures.record_transmissions(
                    [(t.seizure_id, t.revision, t.message.id) for t in page]
                )
            sent += [Sent(t.case_ref, t.case_number, t.revision, t.message.id) for t in page]
        return sent

    async def _pages(self) -> AsyncIterator[list[Transmission]]:
        """The pending cases, projected, ``CHUNK`` at a time (each page read in its own
        transaction, with the suspects it names in one query)."""
        after = 0
        while True:
            async with self.store.unit() as tx:
                rows = await tx.seizures.untransmitted(after=after, limit=CHUNK)
                if not rows:
                    return
                seizures = [Seizure.model_validate_json(row.record) for row in rows]
                refs = [link.ref for seizure in seizures for link in seizure.suspects]
                parties = await tx.parties.find_many("suspect", refs, self.node.id)
            after = rows[-1].id
            suspects = {ref: Suspect.model_validate(row.record) for ref, row in parties.items()}
            yield [
                Transmission(
                    row.id,
                    row.ref,
                    row.case_number,
                    row.revision,
                    project(self.node.id, row.ref, row.revision, seizure, suspects),
                )
                for row, seizure in zip(rows, seizures, strict=True)
            ]


class CenIntake:
    """The WCO node's side: file each ``cen.seizure`` that reaches ``cen@wco``.

    What national nodes send is filed in the transaction that receives it (the hub hands
    it over: no mailbox row is written, read back and marked read for each of hundreds of
    thousands of seizures); what is submitted at the WCO's node itself comes through the
    mailbox's subscription."""

    def __init__(self, node: Node) -> None:
        self.node = node

    async def attach(self) -> None:
        await self.node.hand_over(CEN_MAILBOX, self.take)
        await self.node.subscribe(CEN_MAILBOX, self.receive, batch=INTAKE_BATCH)

    async def take(self, messages: Sequence[Message], tx: Store) -> dict[str, str]:
        """File the ``cen.seizure`` messages of an envelope as it is received; the others
        are refused, each with why (the hub quarantines them and tells their sender)."""
        return await self._file(tx.joined(CaseTables), messages)

    async def receive(self, messages: Sequence[Message]) -> None:
        """File a batch of ``cen.seizure`` messages from the mailbox in one transaction
        (the others stay in the mailbox, read, and are logged)."""
        async with self.node.db.unit(CaseTables) as tables:
            refused = await self._file(tables, messages)
        for message_id, why in refused.items():
            log.warning("cen@%s leaves message %s: %s", self.node.id, message_id, why)

    async def _file(self, tables: CaseTables, messages: Sequence[Message]) -> dict[str, str]:
        """File the ``cen.seizure`` messages; the ids of the others, each with why not."""
        entries, refused = [], {}
        for message in messages:
            if not isinstance(message, CenSeizure):
                refused[message.id] = (
                    f"{CEN_ADDRESS} takes cen.seizure messages, not {message.type}"
                )
                continue
            origin = message.sender.rsplit("@", 1)[1]
            if not message.seizure_ref.startswith(f"{origin}:"):
                refused[message.id] = (
                    f"seizure {message.seizure_ref} is not a seizure of {origin}, its sender's node"
                )
                continue
            entries.append(
                FeedEntry(
                    message.seizure_ref,
                    origin,
                    message.revision,
                    message.id,
                    message.seizure_date,
                    message.feed_record(),
                )
            )
        outcomes = await tables.feed.file(entries)
        for entry, outcome in zip(entries, outcomes, strict=True):
            log.info("cen feed: %s revision %s %s", entry.seizure_ref, entry.revision, outcome)
        return refused

    async def feed(self, limit: int = 100) -> Sequence[FeedRow]:
        async with self.node.db.unit(CaseTables) as tx:
            return await tx.feed.list(limit=limit)
