"""A bare SQLite database of one table, for the tests of SQLite's own machinery (the
driver, the checkpointer) that need no schema of ours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text

from storage import Database


@asynccontextmanager
async def one_table_sqlite(path: Path, columns: str) -> AsyncIterator[Database]:
    """A SQLite database at ``path`` holding only ``CREATE TABLE t (<columns>)``, closed after."""
    database = Database(f"sqlite+aiosqlite:///{path}")
    async with database.engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE t ({columns})"))
    try:
        yield database
    finally:
        await database.close()
