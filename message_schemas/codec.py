"""Messages to and from their canonical JSON: the only way messages are serialised."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from message_schemas.base import WIRE_CONTEXT, MessageBase
from message_schemas.errors import SchemaError, describe, problem
from message_schemas.message import MESSAGE_TYPES, Message

_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)


def parse_message(data: bytes | str) -> Message:
    """Read one message from JSON; a ``SchemaError`` lists everything wrong with it."""
    try:
        return _ADAPTER.validate_json(data, context=WIRE_CONTEXT)
    except ValidationError as exc:
        raise _schema_error(exc) from exc


def dump_message(message: MessageBase) -> bytes:
    """The message's canonical JSON: compact, ``from`` for the sender, no null fields."""
    return message.model_dump_json(by_alias=True, exclude_none=True).encode()


def _schema_error(exc: ValidationError) -> SchemaError:
    errors = exc.errors(include_url=False)
    known = ", ".join(sorted(MESSAGE_TYPES))
    for error in errors:
        if error["type"] == "union_tag_invalid":
            tag = error.get("ctx", {}).get("tag")
            return SchemaError(problem("type", f"unknown message type {tag!r} (known: {known})"))
        if error["type"] == "union_tag_not_found":
            return SchemaError(problem("type", f"missing: a message names its type ({known})"))
    versions = [e for e in errors if e["type"] == "schema_version"]
    # A version this node cannot read explains every other problem: report it alone.
    # Locations start with the type's tag (the union member); the field path follows.
    return SchemaError(describe(versions or errors, skip=1))
