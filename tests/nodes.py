"""Helpers for the hub's behaviour tests: nodes on real databases, transports and keys."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
import templates
from broker import TEST_AMQP_URL
from sqlalchemy.engine import URL

from hub.accounts import Role
from hub.config import Settings
from hub.node import Node

PASSWORD = "correct horse battery staple"


class PostgresDatabases(Protocol):
    """The ``postgres_databases`` fixture (tests/conftest.py): fresh databases by name."""

    @property
    def server(self) -> URL: ...

    async def __call__(self, name: str = "", *, migrated: bool = False) -> str: ...

    def create_sync(self, name: str = "", *, migrated: bool = False) -> str: ...


@dataclass(frozen=True)
class Backend:
    """What carries the envelopes and what keeps the rows: one leg of the test matrix."""

    transport: str  # local | amqp
    database: str  # sqlite | postgresql

    @property
    def name(self) -> str:
        return f"{self.transport}-{self.database}"

    @classmethod
    def parse(cls, name: str) -> Backend:
        transport, database = name.split("-")
        return cls(transport, database)


LOCAL_SQLITE = Backend("local", "sqlite")


class Network:
    """Nodes sharing one transport (a spool or a broker prefix), trusting each other's keys.

    On a PostgreSQL backend every node gets a fresh database of its own, created on
    first use and kept for the test (a node reopened under the same id finds its rows).
    Either kind starts as a copy of a database at the newest revision (``templates``).
    """

    def __init__(
        self,
        root: Path,
        backend: Backend = LOCAL_SQLITE,
        *,
        databases: PostgresDatabases | None = None,
        amqp_url: str = TEST_AMQP_URL,
        amqp_prefix: str | None = None,
    ) -> None:
        if backend.database == "postgresql" and databases is None:
            raise ValueError("a PostgreSQL backend needs the postgres_databases fixture")
        if backend.transport == "amqp" and amqp_prefix is None:
            raise ValueError("an amqp backend needs a prefix of its own")
        self.root = root
        self.backend = backend
        self.databases = databases
        self.amqp_url = amqp_url
        self.amqp_prefix = amqp_prefix
        self.nodes: dict[str, Node] = {}
        self.used: set[str] = set()  # every node id given settings, running or not
        self._database_urls: dict[str, str] = {}

    def database_url(self, node_id: str) -> str | None:
        """The node's PostgreSQL database (created now if need be); None on SQLite."""
        if self.databases is None or self.backend.database != "postgresql":
            return None
        if node_id not in self._database_urls:
            self._database_urls[node_id] = self.databases.create_sync(node_id, migrated=True)
        return self._database_urls[node_id]

    async def _prepare(self, node_id: str) -> None:
        """Create the node's database without blocking the event loop."""
        if self.databases is not None and self.backend.database == "postgresql":
            if node_id not in self._database_urls:
                self._database_urls[node_id] = await self.databases(node_id, migrated=True)

    def settings(self, node_id: str, **overrides: object) -> Settings:
        self.used.add(node_id)
        values: dict[str, object] = {
            "node": node_id,
            "data_dir": self.root / node_id,
            "spool_dir": self.root / "spool",
        }
        if (url := self.database_url(node_id)) is not None:
            values["database_url"] = url
        if self.backend.transport == "amqp":
            values["amqp_url"] = self.amqp_url
            values["amqp_prefix"] = self.amqp_prefix
        settings = Settings(**{**values, **overrides})  # type: ignore[arg-type]
        if (
            settings.database_url is None
            and not (database := settings.data_dir / "icomm.db").exists()
        ):
            templates.copy_sqlite(database)  # at the newest revision: no migration to run
        return settings

    async def add(self, node_id: str, *, run: bool = True, **overrides: object) -> Node:
        await self._prepare(node_id)
        node = await Node(self.settings(node_id, **overrides)).open()
        for other_id, other in self.nodes.items():
            node.trust.import_jwks(other_id, other.keyring.public_jwks())
            other.trust.import_jwks(node_id, node.keyring.public_jwks())
        self.nodes[node_id] = node
        if run:
            node.run()
        return node

    async def close(self) -> None:
        for node in reversed(list(self.nodes.values())):
            await node.close()
        self.nodes = {}


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    """Wait until ``check`` holds; fail the test with a clear message if it never does."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within} s: {check.__name__}")
        await asyncio.sleep(0.02)


async def add_user(node: Node, username: str, role: Role = Role.OFFICER) -> None:
    await node.accounts.add(username, role, PASSWORD)


@contextlib.asynccontextmanager
async def writing_elsewhere(node: Node) -> AsyncIterator[None]:
    """Within: another task holds a write transaction of ``node`` (it has read, so on
    SQLite it holds the process's turn to write), ended on leaving."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:  # a task of its own: tasks started inside would share its turn
        async with node.db.transaction() as tx:
            await tx.users.list()
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    try:
        yield
    finally:
        release.set()
        await holder
