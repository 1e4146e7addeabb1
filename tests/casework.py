"""Case-store helpers shared by the tests: a staffed node and a complete seizure.

(A module of its own: test modules import it by name, which ``conftest`` is not.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from nodes import Network, add_user

from adapters.casestore import CaseStore
from hub.accounts import Role
from message_schemas import Commodity, Conveyance, Route, Seizure


async def staffed(network: Network, node_id: str) -> CaseStore:
    """A running node with an officer (nino), an admin (giorgi) and an analyst (tamar)."""
    node = await network.add(node_id)
    for username, role in (("nino", Role.OFFICER), ("giorgi", Role.ADMIN), ("tamar", Role.ANALYST)):
        await add_user(node, username, role)
    return CaseStore(node)


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
