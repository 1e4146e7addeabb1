"""Fixtures for the case stores: a network of nodes on SQLite and on PostgreSQL, with users.

The case stores keep their own tables in the node's database: each behaviour runs on
both backends (the transport does not matter to them; the hub's tests cover it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from nodes import Backend, Network, PostgresDatabases, add_user

from adapters.casestore import CaseStore
from hub.accounts import Role
from message_schemas import Commodity, Conveyance, Route, Seizure


@pytest.fixture(params=["local-sqlite", "local-postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    return Backend.parse(request.param)


@pytest.fixture
def databases(backend: Backend, request: pytest.FixtureRequest) -> PostgresDatabases | None:
    if backend.database != "postgresql":
        return None
    return request.getfixturevalue("postgres_databases")  # type: ignore[no-any-return]


@pytest.fixture
async def network(
    backend: Backend, databases: PostgresDatabases | None, tmp_path: Path
) -> AsyncIterator[Network]:
    net = Network(tmp_path, backend, databases=databases)
    try:
        yield net
    finally:
        await net.close()


async def staffed(network: Network, node_id: str) -> CaseStore:
    """A running node with an officer (nino), an admin (giorgi) and an analyst (tamar)."""
    node = await network.add(node_id)
    for username, role in (("nino", Role.OFFICER), ("giorgi", Role.ADMIN), ("tamar", Role.ANALYST)):
        await add_user(node, username, role)
    return CaseStore(node)


@pytest.fixture
async def store(network: Network) -> CaseStore:
    return await staffed(network, "ge")


def complete_seizure(**changes: object) -> Seizure:
    """A seizure that passes every quality check."""
    values: dict[str, object] = {
        "case_number": "GE-2026-0001",
        "occurred_at": datetime.now(UTC) - timedelta(days=2),
        "office": "GE-SARPI",
        "place_kind": "land",
        "direction": "import",
        "commodities": [
            Commodity(
                category="drugs",
                type="cocaine",
                description="white powder in the spare tyre",
                quantity=Decimal("12.5"),
                unit="kg",
                value=Decimal("450000"),
                currency="EUR",
            )
        ],
        "detection_method": "x_ray",
        "concealment_method": "vehicle_hidden_compartment",
        "conveyance": Conveyance(mode="road", type="truck", identifier="GE-123-AB"),
        "route": Route(departure="TR", transit=["GE"], destination="AM"),
        "source_evaluation": "B",
        "information_evaluation": "2",
    }
    return Seizure(**{**values, **changes})
