"""Case messages: ``case.share`` to partner nodes, ``cen.seizure`` to the WCO's global CEN."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from message_schemas.address import NodeId
from message_schemas.base import MessageBase
from message_schemas.case_records import (
    Code,
    Company,
    OfficeCode,
    RecordRef,
    Seizure,
    Suspect,
    check_value_has_currency,
)
from message_schemas.fields import CountryCode, CurrencyCode, UtcDatetime
from message_schemas.vocabulary import (
    AgeBand,
    CommodityCategory,
    ConveyanceMode,
    Direction,
    Gender,
    HandlingCode,
    PlaceKind,
)


class SharedCase(BaseModel):
    """A validated case with the suspects and companies it links to, as a partner receives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ref: RecordRef = Field(description="the case's reference at its origin node")
    origin_node: NodeId
    revision: int = Field(ge=1)
    validated_at: UtcDatetime
    seizure: Seizure
    suspects: dict[RecordRef, Suspect] = Field(default_factory=dict)
    companies: dict[RecordRef, Company] = Field(default_factory=dict)


class CaseShare(MessageBase):
    """A validated case with its persons and companies, shared with a partner node."""

    type: Literal["case.share"] = "case.share"
    case: SharedCase
    handling_code: HandlingCode


class CenCommodity(BaseModel):
    """One commodity seized: category, description, quantity and value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: CommodityCategory
    type: Code = Field(examples=["cocaine"], description="a commodity type code, not free text")
    quantity: Decimal = Field(gt=0)
    unit: Code = Field(examples=["kg", "pieces", "l"])
    value: Decimal | None = Field(default=None, ge=0)
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _value_has_currency(self) -> Self:
        check_value_has_currency(self.value, self.currency)
        return self


class CenOffender(BaseModel):
    """What CEN may know of an offender: nationality, gender, age band; never who it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nationality: CountryCode | None = None
    gender: Gender
    age_band: AgeBand


class CenSeizure(MessageBase):
    """The non-nominal projection of a validated seizure, for the WCO's global CEN database.

    An allow-list: nothing that identifies a person or a company, and no free text: every
    text field is a code (lowercase identifier) or a country, currency or office code.
    A later revision of the same ``seizure_ref`` supersedes the earlier ones.
    """

    type: Literal["cen.seizure"] = "cen.seizure"
    seizure_ref: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{2,16}:[0-9a-f]{32}$")] = (
        Field(
            description="the origin node and an opaque reference, stable across revisions",
            examples=["ge:7f3a9c0d1e2f3a4b5c6d7e8f9a0b1c2d"],
        )
    )
    revision: int = Field(ge=1)
    seizure_date: date
    office: OfficeCode = Field(description="the customs office's code")
    place_kind: PlaceKind
    direction: Direction
    commodities: list[CenCommodity] = Field(min_length=1)
    detection_method: Code | None = None
    concealment_method: Code | None = None
    conveyance_mode: ConveyanceMode | None = None
    conveyance_type: Code | None = None
    departure_country: CountryCode | None = None
    destination_country: CountryCode | None = None
    transit_countries: list[CountryCode] = Field(default_factory=list)
    offenders: list[CenOffender] = Field(default_factory=list)

    def feed_record(self) -> dict[str, object]:
        """What the global CEN keeps of it: the seizure's fields without the message's own."""
        return self.model_dump(
            mode="json",
            exclude={"id", "type", "v", "sender", "to", "created"},
            exclude_none=True,
        )
