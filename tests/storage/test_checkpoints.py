"""SQLite's log is copied into the database file by the Checkpointer (not by a commit on
the event loop), and under a steady stream of commits it still starts over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlite_tables import one_table_sqlite

from storage import Database, checkpoints

BLOB = b"x" * 8192  # two pages of the log a row, at least


@pytest.fixture
async def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    monkeypatch.setattr(checkpoints, "CHECKPOINT_SECONDS", 0.01)
    async with one_table_sqlite(tmp_path / "wal.db", "id INTEGER PRIMARY KEY, data BLOB") as db:
        yield db


def log_bytes(tmp_path: Path) -> int:
    return (tmp_path / "wal.db-wal").stat().st_size


async def write(database: Database, rows: int) -> None:
    for _ in range(rows):
        async with database.transaction() as tx:
            await tx.session.execute(text("INSERT INTO t (data) VALUES (:d)"), {"d": BLOB})


async def test_commits_leave_the_copying_to_the_checkpointer(database: Database) -> None:
    async with database.reading() as tx:
        setting = await tx.session.execute(text("PRAGMA wal_autocheckpoint"))
        assert setting.scalar() == 0


async def test_the_log_is_copied_into_the_database_file_after_writes(
    database: Database, tmp_path: Path
) -> None:
    before = (tmp_path / "wal.db").stat().st_size
    await write(database, 20)
    await asyncio.sleep(0.3)  # the checkpointer's turn
    assert (tmp_path / "wal.db").stat().st_size >= before + 20 * len(BLOB)


async def test_the_log_starts_over_under_a_steady_stream_of_commits(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the locked catch-up the log never starts over: 600 rows of 8 KiB grew it
    past 4.8 MB; with it, it stays near the restart size."""
    monkeypatch.setattr(checkpoints, "RESTART_PAGES", 64)  # 256 KiB
    for _ in range(60):
        await write(database, 10)
        await asyncio.sleep(0.002)  # commits keep coming while the checkpoints run
    assert log_bytes(tmp_path) < 2 * 2**20
    async with database.reading() as tx:
        assert (await tx.session.execute(text("SELECT count(*) FROM t"))).scalar() == 600
