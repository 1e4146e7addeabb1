"""Field types shared by several message types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import uuid4

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

MessageId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
"""A message id: 32 lowercase hex digits (a uuid4 without dashes)."""

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest as 64 lowercase hex digits."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""An ISO 3166 alpha-2 country code in uppercase, e.g. ``GE``."""

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 currency code, e.g. ``EUR``."""


def new_message_id() -> str:
    return uuid4().hex


def utc_now() -> datetime:
    return datetime.now(UTC)


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "naive_datetime",
            "{value} has no time zone; give one, e.g. 2024-05-01T09:30:00Z or +04:00",
            {"value": value.isoformat()},
        )
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise PydanticCustomError(
            "datetime_range",
            "{value} cannot be expressed in UTC (out of range)",
            {"value": value.isoformat()},
        ) from exc


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]
"""A timezone-aware moment, normalised to UTC; naive datetimes are refused."""


def _single_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise PydanticCustomError("single_line", "must be a single line (no CR or LF)")
    return value


Subject = Annotated[
    str,
    StringConstraints(max_length=998),
    AfterValidator(_single_line),
    Field(json_schema_extra={"pattern": r"^[^\r\n]*$"}),
]
"""A subject line: at most 998 characters (RFC 5322's line limit), no line breaks."""
