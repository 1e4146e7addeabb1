"""Filling a node's database fast, for the scenarios that start from many rows.

Rows go in with Core ``INSERT``s of a few thousand at a time, ids assigned here, in large
transactions: what the case store and the mailbox would write, without the per-row round
trips of entry (the filling is not what is measured). The records are valid documents
(complete seizures, suspects with names and passports, mails as the router stores them),
varied enough that filters and name searches select a realistic share of them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from adapters.casestore import party_keys
from bench import text
from message_schemas import (
    Commodity,
    Conveyance,
    IdentityDocument,
    Mail,
    Route,
    Seizure,
    Suspect,
    dump_message,
    new_id,
    record_document,
)
from storage import Database
from storage.cases.tables import CommodityRow, PartyKeyRow, PartyRow, SeizureRow
from storage.models import Message

CHUNK = 5_000
CATEGORIES = (
    ("drugs", "cocaine", "kg"),
    ("tobacco", "cigarettes", "pieces"),
    ("currency", "cash", "amount"),
    ("weapons", "firearms", "pieces"),
    ("alcohol", "spirits", "l"),
    ("ipr", "counterfeit_clothing", "pieces"),
)
PLACES = ("land", "air", "sea", "rail", "postal", "inland")
SYLLABLES = (
    "be",
    "ri",
    "dze",
    "shvi",
    "li",
    "ka",
    "va",
    "ma",
    "gel",
    "lo",
    "ni",
    "ta",
    "so",
    "khu",
    "dia",
    "tse",
    "ge",
    "la",
    "ia",
    "na",
    "ko",
    "ba",
    "chi",
    "dzi",
)
EPOCH = date(2020, 1, 1)
DAYS = 6 * 365


def _chunks(total: int, size: int = CHUNK) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


async def _next_id(db: Database, column: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.max(column))) or 0) + 1


def seizure_on(day: date, variant: int) -> Seizure:
    """A complete seizure (it passes every quality check) of one of a few kinds."""
    category, kind, unit = CATEGORIES[variant % len(CATEGORIES)]
    return Seizure(
        case_number=f"GE-{day.year}-{variant:07d}",
        occurred_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
        office="GE-SARPI",
        place_kind=PLACES[variant % len(PLACES)],
        direction=("import", "export", "transit")[variant % 3],
        commodities=[
            Commodity(
                category=category,
                type=kind,
                quantity=Decimal(1 + variant % 500),
                unit=unit,
                value=Decimal(1000 + variant % 9000),
                currency="EUR",
                description="found on inspection",
            )
        ],
        detection_method="scanner",
        concealment_method="luggage",
        conveyance=Conveyance(mode="road", type="truck", identifier=f"GE-{variant % 999:03d}-AB"),
        route=Route(departure="TR", transit=["GE"], destination="AM"),
        source_evaluation="B",
        information_evaluation="2",
    )


async def seizures(
    db: Database, node: str, count: int, *, status: str = "validated", created_by: str = "giorgi"
) -> int:
    """Add ``count`` complete cases (validated: revision 1), with their commodity index."""
    first = await _next_id(db, SeizureRow.id)
    rng = random.Random(first)  # noqa: S311 (test data)
    now = datetime.now(UTC)
    validated = status == "validated"
    for chunk in _chunks(count):
        rows, commodities = [], []
        for offset in chunk:
            row_id = first + offset
            day = EPOCH + timedelta(days=rng.randrange(DAYS))
            seizure = seizure_on(day, row_id)
            rows.append(
                {
                    "id": row_id,
                    "ref": new_id(),
                    "status": status,
                    "case_number": seizure.case_number,
                    "occurred_on": day,
                    "office": seizure.office,
                    "place_kind": seizure.place_kind,
                    "direction": seizure.direction,
                    "record": record_document(seizure),
                    "revision": 1 if validated else 0,
                    "foreign": False,
                    "validated_at": now if validated else None,
                    "origin_node": node,
                    "created_by": created_by,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            commodities += [
                {
                    "seizure_id": row_id,
                    "position": i,
                    "category": c.category,
                    "type": c.type,
                    "quantity": c.quantity,
                    "unit": c.unit,
                }
                for i, c in enumerate(seizure.commodities)
            ]
        async with db.session() as session, session.begin():
            await session.execute(insert(SeizureRow), rows)
            await session.execute(insert(CommodityRow), commodities)
    return count


def name(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(words)).capitalize()


async def suspects(db: Database, node: str, count: int, *, seed: int = 7) -> list[Suspect]:
    """Add ``count`` suspects with their search keys; returns a sample of them (to search)."""
    first = await _next_id(db, PartyRow.id)
    rng = random.Random(seed)  # noqa: S311 (test data)
    now = datetime.now(UTC)
    sample: list[Suspect] = []
    for chunk in _chunks(count):
        rows, keys = [], []
        for offset in chunk:
            row_id = first + offset
            suspect = Suspect(
                surname=name(rng, 3),
                given_names=name(rng, 2),
                date_of_birth=date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1),
                gender=rng.choice(("male", "female")),
                nationality=rng.choice(("GE", "AM", "TR", "AZ", "UA")),
                documents=[IdentityDocument(type="passport", number=f"P{row_id:09d}")],
            )
            tokens, ids, display = party_keys(suspect)
            rows.append(
                {
                    "id": row_id,
                    "kind": "suspect",
                    "ref": new_id(),
                    "display_name": display,
                    "foreign": False,
                    "origin_node": node,
                    "created_by": "nino",
                    "created_at": now,
                    "updated_at": now,
                    "record": record_document(suspect),
                }
            )
            keys += [
                {"party_id": row_id, "party_kind": "suspect", "kind": "name", "key": token}
                for token in tokens
            ]
            keys += [
                {"party_id": row_id, "party_kind": "suspect", "kind": "id", "key": key}
                for key in ids
            ]
            if rng.random() < 0.01 and len(sample) < 1000:
                sample.append(suspect)
        async with db.session() as session, session.begin():
            await session.execute(insert(PartyRow), rows)
            await session.execute(insert(PartyKeyRow), keys)
    return sample


async def mails(
    db: Database,
    owner: str,
    count: int,
    *,
    sender: str = "nino@ge",
    colleague: str | None = None,
    colleague_every: int = 100,
) -> int:
    """File ``count`` received mails (bodies of about 1 KiB of varied text: ``bench.text``)
    in ``owner``'s inbox; with a ``colleague``, every ``colleague_every``-th mail goes to
    the colleague's inbox instead (a small mailbox among many messages).

    The entries are filed as the router files them (``MailboxRepository.file_many``),
    which indexes them for search.
    """
    rng = random.Random(count)  # noqa: S311 (test data)
    start = datetime.now(UTC) - timedelta(days=365)
    for chunk in _chunks(count):
        rows, entries = [], []
        for offset in chunk:
            created = start + timedelta(seconds=offset * 17 + rng.randrange(17))
            to = colleague if colleague and offset % colleague_every == 0 else owner
            mail = Mail(
                sender=sender,
                to=[f"{to}@am"],
                subject=text.subject(rng, offset),
                body=text.body(rng, offset),
                created=created,
            )
            rows.append(
                {
                    "id": mail.id,
                    "type": mail.type,
                    "sender": mail.sender,
                    "recipients": list(mail.to),
                    "subject": mail.subject,
                    "thread_id": mail.id,
                    "created": created,
                    "stored_at": created,
                    "origin": "remote",
                    "digest": None,
                    "payload": dump_message(mail),
                }
            )
            entries.append((mail.id, to, "inbox"))
        async with db.transaction() as tx:
            await tx.session.execute(insert(Message), rows)
            await tx.mailbox.file_many(entries)
    return count
