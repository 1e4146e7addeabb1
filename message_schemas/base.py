"""The fields every message carries, and the rules they share."""

from __future__ import annotations

import inspect
from collections import Counter
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from message_schemas.address import Address
from message_schemas.fields import MessageId, UtcDatetime, new_id, utc_now

WIRE_CONTEXT = {"wire": True}
"""Validation context for messages read from the wire (see ``MessageBase``)."""

WIRE_DEFAULTED = ("id", "type", "v", "created")
"""Fields a message must carry on the wire, though Python code may leave them to defaults."""


def _wire_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The exported schema describes the wire: fixed version, fields that must be present."""
    if issubclass(model, MessageBase):
        schema["properties"]["v"]["const"] = model.SCHEMA_VERSION
        schema["required"] = [*WIRE_DEFAULTED, *schema.get("required", [])]


class MessageBase(BaseModel):
    """The fields every Icomm message carries.

    Built in Python, ``id`` and ``created`` default to a fresh id and now; read from the wire
    (``parse_message``) a message must carry them, since receipts and deduplication rely on
    the sender's id and the replay window on the sender's time.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, json_schema_extra=_wire_schema
    )

    SCHEMA_VERSION: ClassVar[int] = 1

    id: MessageId = Field(default_factory=new_id)
    type: str
    v: int = 1
    sender: Address = Field(alias="from")
    to: list[Address] = Field(min_length=1)
    created: UtcDatetime = Field(default_factory=utc_now)

    @classmethod
    def type_name(cls) -> str:
        """The value of ``type`` for this message type, e.g. ``"case.share"``."""
        return str(cls.model_fields["type"].default)

    @classmethod
    def summary(cls) -> str:
        """What this message type carries (its docstring)."""
        return inspect.cleandoc(cls.__doc__ or "")

    @model_validator(mode="after")
    def _complete_on_the_wire(self, info: ValidationInfo) -> Self:
        if info.context == WIRE_CONTEXT:
            missing = [name for name in WIRE_DEFAULTED if name not in self.model_fields_set]
            if missing:
                raise PydanticCustomError(
                    "wire_incomplete",
                    "a message on the wire must carry {missing}",
                    {"missing": ", ".join(missing)},
                )
        return self

    @field_validator("v")
    @classmethod
    def _supported_version(cls, value: int) -> int:
        if value != cls.SCHEMA_VERSION:
            raise PydanticCustomError(
                "schema_version",
                "{type} schema version {v} is not supported by this node (reads {reads})",
                {"type": cls.type_name(), "v": value, "reads": cls.SCHEMA_VERSION},
            )
        return value

    @field_validator("to")
    @classmethod
    def _no_duplicate_recipients(cls, value: list[str]) -> list[str]:
        if len(set(value)) == len(value):
            return value
        repeated = sorted(a for a, n in Counter(value).items() if n > 1)
        raise PydanticCustomError(
            "duplicate_recipient",
            "recipients listed more than once: {repeated}",
            {"repeated": ", ".join(repeated)},
        )
