"""Controlled vocabularies shared by the message types and the case stores."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class HandlingCode(StrEnum):
    """What a recipient may do with the information it receives.

    - ``H0``: may be passed on to other services and partners.
    - ``H1``: may be used in analysis but not passed on (the default).
    - ``H2``: for information only; neither used in analysis nor passed on.
    """

    H0 = "H0"
    H1 = "H1"
    H2 = "H2"

    @property
    def allows_resharing(self) -> bool:
        """Whether the recipient may pass the information on."""
        return self is HandlingCode.H0


PlaceKind = Literal[
    "land",
    "air",
    "sea",
    "rail",
    "clearance_zone",
    "container_control_unit",
    "postal",
    "inland",
]
"""The type of customs office or place where a seizure was made."""

Direction = Literal["import", "export", "transit"]

CommodityCategory = Literal[
    "drugs",
    "tobacco",
    "alcohol",
    "ipr",
    "weapons",
    "cites",
    "currency",
    "precursors",
    "cultural_goods",
    "other",
]

ConveyanceMode = Literal["road", "air", "sea", "rail", "postal", "pedestrian", "other"]

Gender = Literal["female", "male", "other", "unknown"]

AgeBand = Literal["<18", "18-25", "26-35", "36-45", "46-55", "56-65", ">65", "unknown"]

SourceEvaluation = Literal["A", "B", "C", "X"]
"""How reliable the source is (A: reliable … X: cannot be judged)."""

InformationEvaluation = Literal["1", "2", "3", "4"]
"""How reliable the information is (1: known to be true … 4: cannot be judged)."""
