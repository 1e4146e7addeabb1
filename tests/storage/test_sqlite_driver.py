"""SQLite's one-hop cursor: what SQLAlchemy reads back is right, failures roll back, and a
statement is one call into aiosqlite's thread (the reason the cursor exists)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlite_tables import one_table_sqlite

from storage import Database, sqlite_driver
from storage.database import CACHE_KIB


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    async with one_table_sqlite(
        tmp_path / "driver.db", "id INTEGER PRIMARY KEY, name TEXT UNIQUE"
    ) as db:
        yield db


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the functions handed to aiosqlite's thread (passed through unchanged)."""
    calls: list[str] = []
    handed_over = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await handed_over(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield calls


async def test_rows_row_counts_and_row_ids_come_back(sqlite: Database) -> None:
    async with sqlite.session() as session, session.begin():
        inserted = await session.execute(text("INSERT INTO t (name) VALUES ('nino')"))
        assert inserted.lastrowid == 1
        await session.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": "armen"}, {"n": "ana"}]
        )
        returned = await session.execute(
            text("INSERT INTO t (name) VALUES ('levan') RETURNING id, name")
        )
        assert returned.all() == [(4, "levan")]
        updated = await session.execute(text("UPDATE t SET name = upper(name) WHERE id < 3"))
        assert updated.rowcount == 2
    async with sqlite.session() as session:
        rows = (await session.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        assert rows == [(1, "NINO"), (2, "ARMEN"), (3, "ana"), (4, "levan")]
        assert (await session.execute(text("SELECT name FROM t WHERE id = 99"))).all() == []


async def test_a_failing_statement_raises_and_its_transaction_keeps_nothing(
    sqlite: Database,
) -> None:
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with sqlite.transaction() as tx:
            await tx.session.execute(text("INSERT INTO t (name) VALUES ('kept?')"))
            await tx.session.execute(text("INSERT INTO t (name) VALUES ('twice'), ('twice')"))
    async with sqlite.reading() as tx:
        assert (await tx.session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    async with sqlite.transaction() as tx:  # the pooled connection is usable again
        await tx.session.execute(text("INSERT INTO t (name) VALUES ('after')"))
    async with sqlite.reading() as tx:
        assert (await tx.session.execute(text("SELECT name FROM t"))).scalars().all() == ["after"]


async def test_a_read_is_one_call_into_the_thread_per_statement(
    sqlite: Database, thread_calls: list[str]
) -> None:
    async with sqlite.reading() as tx:  # the pool's connection is made before counting
        await tx.session.execute(text("SELECT 1"))
    thread_calls.clear()
    async with sqlite.reading() as tx:
        await tx.session.execute(text("SELECT name FROM t"))
        await tx.session.execute(text("SELECT count(*) FROM t"))
    assert thread_calls == ["_run", "_run", "commit"]


async def test_a_write_transaction_runs_on_the_event_loop_without_a_thread_call(
    sqlite: Database, thread_calls: list[str]
) -> None:
    async with sqlite.transaction() as tx:
        await tx.session.execute(text("INSERT INTO t (name) VALUES ('one')"))
        assert (await tx.session.execute(text("SELECT name FROM t"))).scalars().all() == ["one"]
    with pytest.raises(IntegrityError):
        async with sqlite.transaction() as tx:
            await tx.session.execute(text("INSERT INTO t (name) VALUES ('two')"))
            await tx.session.execute(text("INSERT INTO t (name) VALUES ('one')"))
    assert thread_calls == []  # statements, the commit and the rollback alike
    async with sqlite.reading() as tx:  # committed once, rolled back once
        assert (await tx.session.execute(text("SELECT name FROM t"))).scalars().all() == ["one"]


async def test_processes_sharing_the_file_keep_writes_in_the_thread(
    sqlite: Database, thread_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``icomm serve --workers N``: waiting for another process's lock must hold no loop."""
    monkeypatch.setattr(sqlite_driver, "_loop_allowed", True)  # restored after the test
    sqlite_driver.shared_with_other_processes()
    async with sqlite.transaction() as tx:
        await tx.session.execute(text("INSERT INTO t (name) VALUES ('one')"))
    assert thread_calls == ["_run", "commit"]
    thread_calls.clear()
    with pytest.raises(IntegrityError):
        async with sqlite.transaction() as tx:
            await tx.session.execute(text("INSERT INTO t (name) VALUES ('one')"))
    assert thread_calls == ["_run", "rollback"]  # a failed transaction is rolled back


async def test_every_connection_is_set_up_for_a_node(sqlite: Database) -> None:
    """WAL (readers beside the writer), foreign keys enforced, a page cache that holds a
    batch's pages, through the same cursor."""
    async with sqlite.reading() as tx:
        pragma = tx.session.execute
        assert (await pragma(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await pragma(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await pragma(text("PRAGMA cache_size"))).scalar() == -CACHE_KIB
