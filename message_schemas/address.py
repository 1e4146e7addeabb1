"""Icomm addresses: ``local@node``, e.g. ``nino.beridze@ge``, ``analysts@ge``, ``cen@wco``."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from message_schemas.errors import SchemaError

NODE_PATTERN = r"[a-z]{2}|wco"
ADDRESS_PATTERN = rf"^[a-z0-9][a-z0-9._-]{{0,63}}@(?:{NODE_PATTERN})$"
_ADDRESS = re.compile(rf"^([a-z0-9][a-z0-9._-]{{0,63}})@({NODE_PATTERN})$")


def _not_an_address(value: str) -> str:
    return f"{value!r} is not an Icomm address: expected local@node, e.g. nino.beridze@ge"


def _match(value: str) -> re.Match[str] | None:
    return _ADDRESS.fullmatch(value.strip().lower())


def _validate(value: str) -> str:
    match = _match(value)
    if match is None:
        raise PydanticCustomError("address", _not_an_address(value))
    return match.group(0)


Address = Annotated[
    str,
    AfterValidator(_validate),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": ADDRESS_PATTERN,
            "description": "local@node; node is an ISO 3166 alpha-2 code (lowercase) or 'wco'",
            "examples": ["nino.beridze@ge", "cen@wco"],
        }
    ),
]
"""An address, normalised to lowercase."""

NodeId = Annotated[str, StringConstraints(pattern=rf"^(?:{NODE_PATTERN})$")]
"""A node's id: an ISO 3166 alpha-2 code in lowercase, or ``wco``."""


def parse_address(address: str) -> tuple[str, str]:
    """Split an address into (local, node), normalised to lowercase."""
    match = _match(address)
    if match is None:
        raise SchemaError(_not_an_address(address))
    return match.group(1), match.group(2)


def node_of(address: str) -> str:
    """The node an address belongs to: ``node_of("analysts@ge") == "ge"``."""
    return parse_address(address)[1]
