"""Databases at the newest revision, made once per test session and copied for each node.

Every node a test starts migrates its database on opening; on a fresh one that is the
whole Alembic history (≈ 0.2 s on SQLite, ≈ 0.3 s on PostgreSQL on a slow day), for
each of the suite's nodes. Instead the suite migrates one database of each kind and
gives each node a copy (a file copy; PostgreSQL's ``CREATE DATABASE … TEMPLATE``), on
which the node's own migration finds nothing to do. The migrations themselves are still
run from nothing: by the storage tests (``tests/storage/conftest.py``) and by the
templates themselves, with the code under test.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from storage import Database

_lock = threading.Lock()
_sqlite: Path | None = None
_postgres: dict[str, str] = {}  # a server's admin URL -> its template's name


async def execute(admin_url: str, *statements: str) -> None:
    """Run statements on a PostgreSQL server, outside a transaction (CREATE DATABASE …)."""
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        for statement in statements:
            await conn.execute(statement)  # asyncpg runs outside a transaction: autocommit
    finally:
        await conn.close()


def in_a_thread(work: Callable[[], Awaitable[object]], timeout: float = 120) -> None:
    """Run ``work`` to its end on an event loop of its own (the caller may be inside one)."""
    errors: list[BaseException] = []
    finished = threading.Event()

    def run() -> None:
        try:
            asyncio.run(work())  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)
        finally:
            finished.set()

    threading.Thread(target=run, name="test-database", daemon=True).start()
    if not finished.wait(timeout):
        raise TimeoutError(f"preparing a test database took over {timeout:.0f} s")
    if errors:
        raise errors[0]


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.close()


def copy_sqlite(destination: Path) -> None:
    """Put a SQLite database at the newest revision at ``destination``."""
    global _sqlite
    with _lock:
        if _sqlite is None:
            folder = Path(tempfile.mkdtemp(prefix="icomm-template-"))
            migrated = folder / "migrated.db"
            in_a_thread(lambda: _migrate(f"sqlite+aiosqlite:///{migrated}"))
            # one self-contained file, its log folded in, whatever the last close left
            template = folder / "icomm.db"
            source, copy = sqlite3.connect(migrated), sqlite3.connect(template)
            try:
                source.backup(copy)
            finally:
                source.close()
                copy.close()
            _sqlite = template
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite, destination)


def postgres_template(admin_url: str) -> str:
    """The name of a database at the newest revision on the server, to copy from."""
    with _lock:
        if admin_url not in _postgres:
            name = f"icomm_t_template_{uuid.uuid4().hex[:12]}"
            url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)

            async def make() -> None:
                await execute(admin_url, f'CREATE DATABASE "{name}"')
                await _migrate(url.render_as_string(hide_password=False))

            in_a_thread(make)
            _postgres[admin_url] = name
        return _postgres[admin_url]


def discard() -> None:
    """Remove the session's templates."""
    global _sqlite
    with _lock:
        if _sqlite is not None:
            shutil.rmtree(_sqlite.parent, ignore_errors=True)
            _sqlite = None
        for admin_url, name in _postgres.items():
            drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            in_a_thread(lambda url=admin_url, statement=drop: execute(url, statement))
        _postgres.clear()
