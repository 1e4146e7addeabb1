"""The case stores attached to a running node: the one place that wires them to the hub."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.casestore import CaseStore
from adapters.cen import WCO_NODE, CenIntake, CenLink
from adapters.sharing import Sharing
from hub.node import Node


@dataclass(frozen=True)
class CaseAdapters:
    """The node's case store, its CEN link, its sharing, and at the WCO the CEN intake."""

    store: CaseStore
    cen: CenLink
    sharing: Sharing
    intake: CenIntake | None


async def attach(node: Node) -> CaseAdapters:
    """Subscribe the adapters to their mailboxes (``cases@``; ``cen@wco`` at the WCO's node).

    Call it on an opened node, before or after ``Node.run``.
    """
    store = CaseStore(node)
    sharing = Sharing(store)
    await sharing.attach()
    intake = None
    if node.id == WCO_NODE:
        intake = CenIntake(node)
        await intake.attach()
    return CaseAdapters(store=store, cen=CenLink(store), sharing=sharing, intake=intake)
