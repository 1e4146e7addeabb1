"""Fixtures shared by the whole suite."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import templates
from argon2 import PasswordHasher, profiles
from nodes import Backend
from sqlalchemy.engine import URL, make_url

from hub.config import Settings

#: the server the PostgreSQL tests create their databases on; the connection's own
#: database is only used to run CREATE/DROP DATABASE
POSTGRES_URL = os.environ.get("ICOMM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """Test passwords are hashed with argon2-cffi's profile for tests (CHEAPEST): the same
    argon2id code paths at a thousandth of the cost. A hash carries its parameters, so a
    node run in a subprocess (icomm serve) verifies these the same way."""
    import hub.accounts

    real = hub.accounts._hasher
    hub.accounts._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    hub.accounts._hasher = real


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ICOMM_* setting leaks in from the environment; Rich tables stay on one line."""
    for name in [*Settings.model_fields, "config"]:
        monkeypatch.delenv(f"ICOMM_{name.upper()}", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


class PostgresDatabases:
    """Fresh databases on the test server, each named ``icomm_t_<hex>[_<name>]``.

    ``await databases("ge")`` creates one and returns its SQLAlchemy URL
    (``postgresql+asyncpg://…/icomm_t_<hex>_ge``); ``databases.create_sync`` does the
    same from synchronous code. Every database made is dropped by ``drop_all``.
    """

    def __init__(self, base_url: str = POSTGRES_URL) -> None:
        url = make_url(base_url)
        self._admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._base: URL = url.set(drivername="postgresql+asyncpg")
        self.names: list[str] = []

    @property
    def server(self) -> URL:
        """The server's URL (SQLAlchemy form, the connection's own database)."""
        return self._base

    @property
    def safe_url(self) -> str:
        return self._base.render_as_string(hide_password=True)

    async def _execute(self, *statements: str) -> None:
        await templates.execute(self._admin, *statements)

    def _new_name(self, name: str) -> str:
        label = "".join(c for c in name.lower() if c.isalnum() or c == "_")[:20]
        db_name = f"icomm_t_{uuid.uuid4().hex[:16]}" + (f"_{label}" if label else "")
        self.names.append(db_name)
        return db_name

    def _url(self, db_name: str) -> str:
        return self._base.set(database=db_name).render_as_string(hide_password=False)

    async def __call__(self, name: str = "", *, migrated: bool = False) -> str:
        """A fresh database: empty, or ``migrated`` (a copy of the session's template at
        the newest revision, which a node opens without migrating it again)."""
        db_name = self._new_name(name)
        if migrated:
            template = await asyncio.to_thread(templates.postgres_template, self._admin)
            await self._execute(f'CREATE DATABASE "{db_name}" TEMPLATE "{template}"')
        else:
            await self._execute(f'CREATE DATABASE "{db_name}"')
        return self._url(db_name)

    def create_sync(self, name: str = "", *, migrated: bool = False) -> str:
        """For synchronous callers (even inside a running event loop): a helper thread."""
        result: list[str] = []

        async def create() -> None:
            result.append(await self(name, migrated=migrated))

        templates.in_a_thread(create, timeout=60)
        return result[0]

    async def available(self) -> bool:
        try:
            await self._execute("SELECT 1")
        except (OSError, TimeoutError, ConnectionError):
            return False
        except Exception as exc:  # asyncpg's own errors: refused login, missing database
            if type(exc).__module__.startswith("asyncpg"):
                return False
            raise
        return True

    async def drop_all(self) -> None:
        names, self.names = self.names, []
        if names:
            await self._execute(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))


@pytest.fixture(autouse=True, scope="session")
def template_databases() -> Iterator[None]:
    """The databases at the newest revision that nodes' databases are copied from
    (``tests/templates.py``), made on first use and removed after the session."""
    yield
    templates.discard()


@pytest.fixture
async def postgres_databases() -> AsyncIterator[PostgresDatabases]:
    """A factory of fresh PostgreSQL databases, all dropped at teardown.

    The server is ``ICOMM_TEST_POSTGRES_URL`` (default
    ``postgres://postgres@127.0.0.1:5432/test``); the test is skipped when it is not
    reachable.
    """
    databases = PostgresDatabases()
    if not await databases.available():
        pytest.skip(f"no PostgreSQL server at {databases.safe_url} (ICOMM_TEST_POSTGRES_URL)")
    try:
        yield databases
    finally:
        await databases.drop_all()


@pytest.fixture
def databases(backend: Backend, request: pytest.FixtureRequest) -> PostgresDatabases | None:
    """The PostgreSQL legs' database factory, for the ``backend`` fixture of a test folder
    (asked for only there: SQLite needs no server)."""
    if backend.database != "postgresql":
        return None
    return request.getfixturevalue("postgres_databases")  # type: ignore[no-any-return]
