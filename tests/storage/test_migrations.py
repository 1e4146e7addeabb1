"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage import Database
from storage.models import Base
from storage.search import include_name, maintained_by_database


async def test_migrations_match_the_models_and_run_twice(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'icomm.db'}")
    try:
        await db.migrate()
        await db.migrate()  # idempotent: a restart applies nothing twice
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"include_name": include_name}),
                    Base.metadata,
                )
            )
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await db.close()
    assert diff == []
    kept_by_models = {name for name in tables if not maintained_by_database(name)}
    assert set(Base.metadata.tables) | {"alembic_version"} == kept_by_models
    assert "message_search" in tables  # the search index, the database's own
