"""The case stores' tables and repositories (used by ``adapters``, never by the hub)."""

from storage.cases.repository import (
    CaseTables,
    CommodityIndex,
    FeedEntry,
    FeedRepository,
    PartyRepository,
    SeizureFilter,
    SeizureRepository,
)
from storage.cases.tables import FeedRow, PartyRow, SeizureRow, TransitionRow

__all__ = [
    "CaseTables",
    "CommodityIndex",
    "FeedEntry",
    "FeedRepository",
    "FeedRow",
    "PartyRepository",
    "PartyRow",
    "SeizureFilter",
    "SeizureRepository",
    "SeizureRow",
    "TransitionRow",
]
