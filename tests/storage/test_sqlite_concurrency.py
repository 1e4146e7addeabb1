"""SQLite with several writers at once: each waits its turn instead of failing; the
write transactions' shared session."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage import Database


async def test_concurrent_read_then_write_transactions_all_commit(sqlite_db: Database) -> None:
    db = sqlite_db

    async def add(name: str) -> None:
        async with db.transaction() as tx:
            assert await tx.users.find(name) is None  # a read first …
            await asyncio.sleep(0.01)  # … others commit meanwhile …
            await tx.users.add(name, "officer", None)  # … then a write

    await asyncio.gather(*(add(f"user{i}") for i in range(20)))
    async with db.transaction() as tx:
        assert len(await tx.users.list()) == 20


async def test_write_transactions_share_a_session_but_never_its_stale_rows(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    async with db.transaction() as tx:
        await tx.users.add("nino", "officer", None)
    async with db.transaction() as tx:
        first = tx.session
        seen = await tx.users.find("nino")
        assert seen is not None and seen.active
    async with db.transaction() as tx:  # changed behind the ORM's back
        await tx.session.execute(text("UPDATE users SET active = 0"))
    async with db.transaction() as tx:
        assert tx.session is first  # the shared session …
        now = await tx.users.find("nino")
        assert now is not None and not now.active  # … read afresh, not the old object


async def test_a_failed_write_transaction_leaves_the_next_a_working_session(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await tx.users.add("nino", "officer", None)
            await tx.session.execute(text("INSERT INTO users (username) VALUES ('nino')"))
    async with db.transaction() as tx:
        assert await tx.users.find("nino") is None  # the failed one left nothing
        await tx.users.add("nino", "officer", None)
    async with db.reading() as tx:
        assert await tx.users.find("nino") is not None


async def test_a_task_writing_one_transaction_after_another_lets_another_writer_in(
    db: Database,
) -> None:
    done: list[str] = []

    async def many() -> None:  # as a CEN transmission writes its pages
        for i in range(20):
            async with db.transaction() as tx:
                await tx.users.add(f"page{i}", "officer", None)
            done.append("page")

    async def one() -> None:  # as the dispatcher, poked meanwhile
        async with db.transaction() as tx:
            await tx.users.add("dispatcher", "officer", None)
        done.append("dispatcher")

    await asyncio.gather(many(), one())
    assert done.index("dispatcher") < 3  # not after all twenty


async def test_a_task_started_inside_a_write_transaction_writes_after_it_commits(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    events: list[str] = []

    async def child() -> None:  # e.g. a poke that writes, started by the holder
        async with db.transaction() as tx:
            events.append("child began")
            await tx.users.add("child", "officer", None)

    async with db.transaction() as tx:
        await tx.users.add("parent", "officer", None)
        started = asyncio.create_task(child())
        await asyncio.sleep(0.05)  # the child runs meanwhile, as far as it may
        events.append("parent commits")
    await asyncio.wait_for(started, 10)

    # it queued for the lock instead of writing beside the holder (on another
    # connection, where SQLite's busy handler would have held the whole loop)
    assert events == ["parent commits", "child began"]
    async with db.reading() as tx:
        assert await tx.users.find("child") is not None
        assert await tx.users.find("parent") is not None
