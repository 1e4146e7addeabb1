"""Icomm addresses: ``local@node``, e.g. ``nino.beridze@ge``, ``analysts@ge``, ``cen@wco``."""

from __future__ import annotations

import functools
import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from message_schemas.errors import SchemaError

NODE_PATTERN = r"[a-z]{2}|wco"
ADDRESS_PATTERN = rf"^[a-z0-9][a-z0-9._-]{{0,63}}@(?:{NODE_PATTERN})$"
MAX_TEXT_LENGTH = 256  # an address with the spaces around it that are forgiven, at most
_ADDRESS = re.compile(rf"^([a-z0-9][a-z0-9._-]{{0,63}})@({NODE_PATTERN})$")


def _not_an_address(value: str) -> str:
    return f"{value!r} is not an Icomm address: expected local@node, e.g. nino.beridze@ge"


def _parts(value: str) -> tuple[str, str] | None:
    """(local, node) of an address, normalised to lowercase; None if it is none."""
    # no address is this long, whatever its spaces: not worth matching, nor caching
    return None if len(value) > MAX_TEXT_LENGTH else _cached_parts(value)


@functools.lru_cache(maxsize=4096)
def _cached_parts(value: str) -> tuple[str, str] | None:
    """Cached: a node sees the same few thousand addresses again and again."""
    match = _ADDRESS.fullmatch(value.strip().lower())
    return (match.group(1), match.group(2)) if match else None


def _validate(value: str) -> str:
    parts = _parts(value)
    if parts is None:
        raise PydanticCustomError("address", _not_an_address(value))
    return f"{parts[0]}@{parts[1]}"


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
    parts = _parts(address)
    if parts is None:
        raise SchemaError(_not_an_address(address))
    return parts


def node_of(address: str) -> str:
    """The node an address belongs to: ``node_of("analysts@ge") == "ge"``."""
    return parse_address(address)[1]
