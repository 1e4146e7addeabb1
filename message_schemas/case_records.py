"""The case records: a seizure with its commodities, and the suspects and companies it links to.

These are the documents the case stores keep and the ``case.share`` message carries. A
record may be incomplete while it is a draft: every field is optional here, and the case
store's quality checks say what a record still lacks before it can be submitted. Codes are
short identifiers from the reference lists (``adapters.reference``); which fields are
nominal (they identify a person or a company, or are free text) is said by
``NOMINAL`` below and decides what may ever leave for the WCO.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from message_schemas.fields import CountryCode, CurrencyCode, Sha256Hex, UtcDatetime

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,63}$")]
"""A code from a reference list (lowercase letters, digits, underscores): never free text."""

EvaluationCode = Annotated[str, StringConstraints(pattern=r"^[ABCX1-4]$")]

OfficeCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
"""A customs office's code, e.g. ``GE-SARPI`` (the administration's own list)."""

RecordRef = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
"""A record's stable reference at its node (32 hex digits)."""

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
"""A short single value typed by a person: a name, a number, an identifier."""

FreeText = Annotated[str, StringConstraints(max_length=20_000)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_value_has_currency(value: Decimal | None, currency: str | None) -> None:
    """A value means nothing without its currency (shared by the commodity forms)."""
    if value is not None and currency is None:
        raise PydanticCustomError("currency_missing", "a value needs its currency")


class Commodity(_Record):
    """One commodity seized."""

    category: Code | None = Field(default=None, examples=["drugs"])
    type: Code | None = Field(default=None, examples=["cocaine"])
    description: FreeText = Field(default="", description="free text: stays at the node")
    quantity: Decimal | None = None
    unit: Code | None = Field(default=None, examples=["kg"])
    value: Decimal | None = None
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _value_has_currency(self) -> Self:
        check_value_has_currency(self.value, self.currency)
        return self


class Conveyance(_Record):
    mode: Code | None = Field(default=None, examples=["road"])
    type: Code | None = Field(default=None, examples=["truck"])
    identifier: Label | None = Field(
        default=None, description="flight number, vessel, plate, container number (nominal)"
    )


class Route(_Record):
    departure: CountryCode | None = None
    transit: list[CountryCode] = Field(default_factory=list)
    destination: CountryCode | None = None


class Photo(_Record):
    """A concealment photo: a blob of the node's store, named by its digest."""

    sha256: Sha256Hex
    filename: Label
    media_type: Annotated[str, StringConstraints(max_length=255)] = "image/jpeg"


class PartyLink(_Record):
    """A suspect or company linked to a case, with its role in it."""

    ref: RecordRef
    role: Code | None = None


class Seizure(_Record):
    """A seizure or offence case."""

    case_number: Label | None = None
    occurred_at: UtcDatetime | None = None
    office: OfficeCode | None = None
    place_kind: Code | None = Field(default=None, examples=["land"])
    direction: Code | None = Field(default=None, examples=["import"])
    commodities: list[Commodity] = Field(default_factory=list)
    detection_method: Code | None = None
    concealment_method: Code | None = None
    concealment_description: FreeText = ""
    photos: list[Photo] = Field(default_factory=list)
    conveyance: Conveyance | None = None
    route: Route = Field(default_factory=Route)
    suspects: list[PartyLink] = Field(default_factory=list)
    companies: list[PartyLink] = Field(default_factory=list)
    source_evaluation: EvaluationCode | None = None
    information_evaluation: EvaluationCode | None = None
    narrative: FreeText = ""


class IdentityDocument(_Record):
    type: Code | None = Field(default=None, examples=["passport"])
    number: Label
    issuing_country: CountryCode | None = None


class Suspect(_Record):
    """A person of interest; many cases may link to one."""

    surname: Label | None = None
    given_names: Label | None = None
    aliases: list[Label] = Field(default_factory=list)
    date_of_birth: date | None = None
    gender: Code | None = None
    nationality: CountryCode | None = None
    documents: list[IdentityDocument] = Field(default_factory=list)
    addresses: list[Label] = Field(default_factory=list)
    notes: FreeText = ""

    @property
    def names(self) -> list[str]:
        """Every name the person is known by: the full name, then the aliases."""
        full = " ".join(part for part in (self.given_names, self.surname) if part)
        return [name for name in (full, *self.aliases) if name]


class Company(_Record):
    """A company of interest; many cases may link to one."""

    name: Label | None = None
    registration_number: Label | None = None
    country: CountryCode | None = None
    address: Label | None = None
    activity: Label | None = None
    role: Code | None = Field(default=None, description="its usual role, e.g. importer")
    notes: FreeText = ""


NOMINAL: dict[str, frozenset[str]] = {
    "seizure": frozenset(
        {"case_number", "concealment_description", "photos", "narrative", "suspects", "companies"}
    ),
    "commodity": frozenset({"description"}),
    "conveyance": frozenset({"identifier"}),
    "suspect": frozenset(Suspect.model_fields) - {"gender", "nationality"},
    "company": frozenset(Company.model_fields),
}
"""Fields that identify a person or a company, or hold free text: they never go to the WCO.

Nationality and gender of a suspect are non-nominal (with the age band computed from the
date of birth); a company is nominal as a whole.
"""


def record_document(record: BaseModel) -> dict[str, Any]:
    """A record as the JSON document the case stores keep (and read back with ``model_validate``)."""
    return record.model_dump(mode="json", exclude_none=True)
