"""``receipt``: the signed proof that messages reached their recipients (or did not).

One receipt answers every message of one envelope that a node received and kept: per
message its id, the digest of the signed form that arrived and each local recipient's
result. One signature, one message back, however many messages the envelope bundled.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from message_schemas.address import Address
from message_schemas.base import MessageBase
from message_schemas.fields import MessageId, Sha256Hex, UtcDatetime


class RecipientResult(BaseModel):
    """What became of a message for one recipient."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: Address
    status: Literal["delivered", "failed"]
    reason: str | None = None

    @model_validator(mode="after")
    def _failure_has_reason(self) -> Self:
        if self.status == "failed" and not self.reason:
            raise PydanticCustomError(
                "reason_missing",
                "delivery to {address} failed but no reason is given",
                {"address": self.address},
            )
        return self


class Acknowledgement(BaseModel):
    """What became of one message: its id, what arrived, each recipient's result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    receipt_for: MessageId
    digest: Sha256Hex = Field(description="SHA-256 of the signed message as it travelled")
    results: list[RecipientResult] = Field(min_length=1)


class Receipt(MessageBase):
    """Signed proof of delivery of the messages one envelope carried: per message, its id
    and digest and each recipient's result; the time they were received."""

    type: Literal["receipt"] = "receipt"
    acknowledges: list[Acknowledgement] = Field(min_length=1)
    received_at: UtcDatetime
