"""Field types shared by several message types."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

MessageId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
"""A message id: 32 lowercase hex digits (a UUID without dashes; ours are :func:`new_id`'s)."""

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest as 64 lowercase hex digits."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""An ISO 3166 alpha-2 country code in uppercase, e.g. ``GE``."""

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 currency code, e.g. ``EUR``."""


def new_id() -> str:
    """A new id for a message, an envelope or a case record: a UUID version 7 (RFC 9562
    §5.7) as 32 lowercase hex digits — 48 bits of Unix time in milliseconds, the version,
    then 74 random bits (and the variant).

    Ids made later sort later, so the indexes on them grow at one end: with random ids
    (uuid4) every row touched an index page anywhere, and over a year of traffic (1.8 M
    mails, every index of the id far larger than SQLite's page cache) each transaction
    rewrote hundreds of scattered pages — the year-of-SIENA flow ran at two thirds of the
    pace it kept while the tables were small. The time it carries is no secret: the
    envelope's routing header says when the message was created. Partners' ids need not
    be of this kind (any 32 hex digits are a message id).
    """
    unix_ms = time.time_ns() // 1_000_000
    random = secrets.randbits(74)
    value = (
        (unix_ms & 0xFFFF_FFFF_FFFF) << 80  # unix_ts_ms
        | 0x7 << 76  # ver
        | (random >> 62) << 64  # rand_a (12 bits)
        | 0b10 << 62  # var
        | (random & (1 << 62) - 1)  # rand_b (62 bits)
    )
    return f"{value:032x}"


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
