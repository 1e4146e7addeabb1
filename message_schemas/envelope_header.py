"""The routing part of an envelope's JWE protected header.

Readable without decrypting (nothing secret in it) and protected against change by
the JWE's authentication tag; the JOSE members (``enc``, ``cty``, ``typ``) are set
by ``keys`` beside it. The signed messages inside remain the authority: the header
only routes, archives and lists.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from message_schemas.address import NodeId
from message_schemas.errors import SchemaError, describe
from message_schemas.fields import MessageId, UtcDatetime


class HeaderEntry(BaseModel):
    """One message carried by the envelope."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: MessageId
    type: str = Field(max_length=32)


class EnvelopeHeader(BaseModel):
    """eid, from, to, created, skid, msgs: what routing needs, nothing secret."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    eid: MessageId = Field(description="the envelope's id")
    sender: NodeId = Field(alias="from", description="the sending node")
    to: list[NodeId] = Field(min_length=1, description="the receiving nodes")
    created: UtcDatetime = Field(description="when the envelope was sealed")
    skid: str = Field(max_length=64, description="the key id that signed the messages")
    msgs: list[HeaderEntry] = Field(min_length=1, description="the messages, in order")

    def as_header(self) -> dict[str, Any]:
        """The JSON members to put in the JWE protected header."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def parse(cls, header: dict[str, Any]) -> EnvelopeHeader:
        """Read the routing members of a decrypted envelope's header; SchemaError if unfit."""
        try:
            return cls.model_validate(header)
        except ValidationError as exc:
            raise SchemaError(describe(exc.errors())) from exc
