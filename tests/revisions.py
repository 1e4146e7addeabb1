"""Moving a test database to a given Alembic revision, up or down."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from storage import Database
from storage.database import MIGRATIONS


async def migrate(db: Database, revision: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) ``db`` to ``revision``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def run(connection: object) -> None:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)
