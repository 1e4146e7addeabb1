"""A fresh database of each kind for the storage tests that must behave alike on both:
SQLite in the test's directory, and PostgreSQL (skipped when no server answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'icomm.db'}"
    return str(request.getfixturevalue("postgres_databases").create_sync("storage"))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The database at the newest revision."""
    database = Database(database_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A SQLite database at the newest revision, for what is SQLite's behaviour alone."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'icomm.db'}")
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()
