"""Alembic environment: runs on the connection the application hands over.

``storage.database.Database.migrate`` passes its connection in
``config.attributes["connection"]``; the ``alembic`` command line is supported too
(``ICOMM_DATABASE_URL`` or ``sqlalchemy.url``) for writing new revisions.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import storage.cases.tables  # noqa: F401  (the case tables too)
from storage.models import Base
from storage.search import include_name

config = context.config
target_metadata = Base.metadata


def run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///icomm-dev.db")
    with engine.begin() as conn:
        run(conn)
