"""Fixtures for the case stores: a network of nodes on SQLite and on PostgreSQL, with users.

The case stores keep their own tables in the node's database: each behaviour runs on
both backends (the transport does not matter to them; the hub's tests cover it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from casework import staffed
from nodes import Backend, Network, PostgresDatabases

from adapters.casestore import CaseStore


@pytest.fixture(params=["local-sqlite", "local-postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    return Backend.parse(request.param)


@pytest.fixture
async def network(
    backend: Backend, databases: PostgresDatabases | None, tmp_path: Path
) -> AsyncIterator[Network]:
    net = Network(tmp_path, backend, databases=databases)
    try:
        yield net
    finally:
        await net.close()


@pytest.fixture
async def store(network: Network) -> CaseStore:
    return await staffed(network, "ge")
