"""The storage layer on a real PostgreSQL server: what SQLite lets pass and PostgreSQL does not.

SQLite ignores column lengths, keeps no time zone and stores NUL characters in text;
PostgreSQL refuses the first and last and converts the second. Each test runs on a
fresh database (``postgres_databases``) and is skipped when no server is reachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage import AttachmentMeta, Database, NewMessage, Outcome, Queued
from storage.models import Base
from storage.search import include_name, maintained_by_database


@pytest.fixture
async def db(postgres_databases) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(await postgres_databases("storage"))
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


def message(message_id: str = "a" * 32, **fields: Any) -> NewMessage:
    values: dict[str, Any] = {
        "id": message_id,
        "type": "mail",
        "sender": "nino@ge",
        "recipients": ["armen@am"],
        "subject": "Seizure",
        "thread_id": None,
        "created": datetime.now(UTC),
        "origin": "remote",
        "digest": None,
        "payload": b"\x00\xffbytes",
    }
    values.update(fields)
    return NewMessage(**values)


async def test_migrations_match_the_models_on_postgresql(db: Database) -> None:
    await db.migrate()  # idempotent
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"include_name": include_name}),
                Base.metadata,
            )
        )
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert diff == []
    kept_by_models = {name for name in tables if not maintained_by_database(name)}
    assert set(Base.metadata.tables) | {"alembic_version"} == kept_by_models
    assert "message_search" in tables  # the search index, the database's own


async def test_times_come_back_aware_in_utc_and_bytes_unchanged(db: Database) -> None:
    created = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=4)))
    async with db.transaction() as tx:
        assert await tx.mailbox.add_message(message(created=created))
    async with db.transaction() as tx:
        stored = await tx.mailbox.get("a" * 32)
    assert stored.created == created and stored.created.tzinfo == UTC
    assert stored.payload == b"\x00\xffbytes" and stored.recipients == ["armen@am"]


async def test_inserts_ignoring_duplicates_say_whether_they_inserted(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.mailbox.add_message(message())
        assert await tx.mailbox.file("a" * 32, "armen", "inbox") is True
        assert await tx.mailbox.file("a" * 32, "armen", "inbox") is False
        assert await tx.seen.first_times(["b" * 32], "c" * 32) == {"b" * 32}
        assert await tx.seen.first_times(["b" * 32, "e" * 32], "d" * 32) == {"e" * 32}
        assert await tx.envelopes.add("c" * 32, "in", "ge", ["b" * 32], b"raw") is True
        assert await tx.envelopes.add("c" * 32, "in", "ge", ["b" * 32], b"raw") is False


async def test_two_dispatchers_never_take_the_same_outbox_rows(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.outbox.add([Queued(f"{i:032x}", "mail", "am", b"p") for i in range(6)])
    taken: list[set[int]] = []
    both_hold = asyncio.Barrier(2)

    async def take() -> None:
        async with db.transaction() as tx:
            rows = await tx.outbox.pending(3)
            taken.append({row.id for row in rows})
            await both_hold.wait()  # the first still holds its locks when the second looks

    await asyncio.wait_for(asyncio.gather(take(), take()), 10)
    assert len(taken[0]) == len(taken[1]) == 3 and not taken[0] & taken[1]


async def test_text_with_nul_characters_is_stored(db: Database) -> None:
    """PostgreSQL text holds no NUL; a subject or a refusal's detail may carry one."""
    async with db.transaction() as tx:
        await tx.mailbox.add_message(message(subject="bad\x00subject"))
        await tx.quarantine.add("schema", "input_value='a\x00b'", b"\x00raw")
        await tx.deliveries.record([Outcome("a" * 32, "armen@am", "failed", "no\x00such user")])
    async with db.transaction() as tx:
        assert (await tx.mailbox.get("a" * 32)).subject == "bad\ufffdsubject"
        [item] = await tx.quarantine.list()
        assert item.detail == "input_value='a\ufffdb'" and item.raw == b"\x00raw"
        [delivery] = await tx.deliveries.for_message("a" * 32)
        assert delivery.reason == "no\ufffdsuch user"


async def test_longest_media_type_the_schema_allows_is_stored(db: Database) -> None:
    media_type = "a" * 127 + "/" + "b" * 127  # RFC 6838: 127 characters each side
    async with db.transaction() as tx:
        await tx.mailbox.add_message(
            message(), [AttachmentMeta("scan.pdf", media_type, 3, "0" * 64)]
        )
    async with db.transaction() as tx:
        [attachment] = await tx.mailbox.attachments("a" * 32)
    assert attachment.media_type == media_type


async def test_an_overlong_envelope_id_does_not_stop_the_quarantine(db: Database) -> None:
    """The transport's envelope id comes from the partner; the raw envelope is kept whole."""
    claimed = "x" * 300
    async with db.transaction() as tx:
        await tx.quarantine.add("malformed", "not an envelope", b"raw", envelope_id=claimed)
    async with db.transaction() as tx:
        [item] = await tx.quarantine.list()
    assert claimed.startswith(item.envelope_id or "") and len(item.envelope_id or "") == 64
