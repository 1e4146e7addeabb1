"""``keys.announce``: a node publishes its new public keys (rotation)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from message_schemas.address import NodeId
from message_schemas.base import MessageBase
from message_schemas.fields import UtcDatetime

PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
"""JWK members that hold secrets (RFC 7518 §6): private parts, or a symmetric key."""


class KeysAnnounce(MessageBase):
    """A node's new public keys (a JWKS) and the key ids it retires, from a given moment."""

    type: Literal["keys.announce"] = "keys.announce"
    node: NodeId
    jwks: dict[str, Any] = Field(description='a JSON Web Key Set: {"keys": [...]}, public only')
    retires: list[str] = Field(default_factory=list, description="key ids no longer to trust")
    effective: UtcDatetime

    @field_validator("jwks")
    @classmethod
    def _public_keys_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        keys = value.get("keys")
        if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
            raise PydanticCustomError("jwks", 'a JWKS needs "keys": a list of JSON Web Keys')
        for index, key in enumerate(keys):
            secret = sorted(PRIVATE_MEMBERS.intersection(key))
            if secret:
                raise PydanticCustomError(
                    "private_key",
                    "keys.announce must carry public keys only: key {index} "
                    "({kid}) has private member(s) {members}",
                    {"index": index, "kid": key.get("kid", "no kid"), "members": ", ".join(secret)},
                )
        return value
