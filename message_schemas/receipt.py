"""``receipt``: the signed proof that a message reached its recipients (or did not)."""

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


class Receipt(MessageBase):
    """Signed proof of delivery: the message's id and digest, the time, each recipient's result."""

    type: Literal["receipt"] = "receipt"
    receipt_for: MessageId
    digest: Sha256Hex = Field(description="SHA-256 of the signed message as it travelled")
    results: list[RecipientResult] = Field(min_length=1)
    received_at: UtcDatetime
