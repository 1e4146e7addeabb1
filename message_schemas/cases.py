"""Case messages: ``case.share`` to partner nodes, ``cen.seizure`` to the WCO's global CEN."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from message_schemas.address import NodeId
from message_schemas.base import MessageBase
from message_schemas.fields import CountryCode, CurrencyCode
from message_schemas.vocabulary import (
    AgeBand,
    CommodityCategory,
    ConveyanceMode,
    Direction,
    Gender,
    HandlingCode,
    PlaceKind,
)

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""A short label or code, not a narrative: CEN fields carry no free text."""


class SharedCase(BaseModel):
    """A validated case with its persons and companies, as a partner node receives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_number: Annotated[str, StringConstraints(min_length=1)]
    kind: Literal["seizure", "suspect", "company"]
    origin_node: NodeId
    record: dict[str, Any]
    persons: list[dict[str, Any]] = Field(default_factory=list)
    companies: list[dict[str, Any]] = Field(default_factory=list)


class CaseShare(MessageBase):
    """A validated case with its persons and companies, shared with a partner node."""

    type: Literal["case.share"] = "case.share"
    case: SharedCase
    handling_code: HandlingCode


class CenCommodity(BaseModel):
    """One commodity seized: category, description, quantity and value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: CommodityCategory
    description: ShortText = Field(examples=["cocaine hydrochloride"])
    quantity: Decimal = Field(gt=0)
    unit: ShortText = Field(examples=["kg", "pieces", "litres"])
    value: Decimal | None = Field(default=None, ge=0)
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _value_has_currency(self) -> Self:
        if self.value is not None and self.currency is None:
            raise PydanticCustomError("currency_missing", "a value needs its currency")
        return self


class CenOffender(BaseModel):
    """What CEN may know of an offender: nationality, gender, age band; never who it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nationality: CountryCode | None = None
    gender: Gender
    age_band: AgeBand


class CenSeizure(MessageBase):
    """The non-nominal projection of a validated seizure, for the WCO's global CEN database.

    An allow-list: nothing that identifies a person or a company, and no free text.
    """

    type: Literal["cen.seizure"] = "cen.seizure"
    seizure_ref: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description="an opaque reference, stable across revisions", examples=["ge:7f3a9c"]
    )
    revision: int = Field(ge=1)
    seizure_date: date
    office: ShortText = Field(description="the customs office's code or name")
    place_kind: PlaceKind
    direction: Direction
    commodities: list[CenCommodity] = Field(min_length=1)
    detection_method: ShortText | None = None
    concealment_method: ShortText | None = None
    conveyance_mode: ConveyanceMode | None = None
    conveyance_type: ShortText | None = None
    departure_country: CountryCode | None = None
    destination_country: CountryCode | None = None
    transit_countries: list[CountryCode] = Field(default_factory=list)
    offenders: list[CenOffender] = Field(default_factory=list)
