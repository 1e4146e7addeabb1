"""``mail``: a message between people, groups and nodes."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from message_schemas.base import MessageBase
from message_schemas.fields import MessageId, Sha256Hex, Subject
from message_schemas.vocabulary import HandlingCode, InformationEvaluation, SourceEvaluation


def _from_base64(value: object) -> object:
    """Text is standard base64 (as in JSON); bytes are taken as they are."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise PydanticCustomError(
                "base64", "is not valid base64: {error}", {"error": str(exc)}
            ) from exc
    return value


def _to_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Base64Content = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(_to_base64, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]
"""Bytes that travel in JSON as standard base64 (RFC 4648 §4, padded)."""


def _bare_filename(value: str) -> str:
    if value in {".", ".."} or any(char in value for char in "/\\\x00"):
        raise PydanticCustomError(
            "filename", "'{value}' is not a bare file name (no path separators)", {"value": value}
        )
    return value


Filename = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(_bare_filename),
    Field(json_schema_extra={"pattern": r"^[^/\\\x00]+$"}),
]
"""A bare file name: no directory part, not ``.`` or ``..``."""

MediaType = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$"
    ),
]


class Attachment(BaseModel):
    """A file carried inside a mail, with its size and SHA-256 to check it arrived whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: Filename
    media_type: MediaType = "application/octet-stream"
    content: Base64Content
    size: int = Field(ge=0)
    sha256: Sha256Hex

    @classmethod
    def from_bytes(
        cls, filename: str, content: bytes, media_type: str = "application/octet-stream"
    ) -> Attachment:
        """An attachment for ``content``, its size and digest computed."""
        return cls(
            filename=filename,
            media_type=media_type,
            content=content,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )

    @model_validator(mode="after")
    def _matches_content(self) -> Self:
        if self.size != len(self.content):
            raise PydanticCustomError(
                "attachment_size",
                "attachment '{filename}' says {size} bytes but its content has {actual}",
                {"filename": self.filename, "size": self.size, "actual": len(self.content)},
            )
        if self.sha256 != hashlib.sha256(self.content).hexdigest():
            raise PydanticCustomError(
                "attachment_digest",
                "attachment '{filename}': sha256 does not match its content",
                {"filename": self.filename},
            )
        return self


class Mail(MessageBase):
    """A mail between people, groups and nodes: subject, body, attachments, handling code."""

    type: Literal["mail"] = "mail"
    subject: Subject
    body: str
    body_html: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    thread_id: MessageId | None = None
    in_reply_to: MessageId | None = None
    handling_code: HandlingCode = HandlingCode.H1
    source_evaluation: SourceEvaluation | None = None
    information_evaluation: InformationEvaluation | None = None
