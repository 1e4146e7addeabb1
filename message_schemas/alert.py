"""``alert``: a risk profile matched a case or an incoming share."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from message_schemas.base import MessageBase
from message_schemas.fields import Subject


class Alert(MessageBase):
    """A risk-profile hit on a case or an incoming share, for users and groups."""

    type: Literal["alert"] = "alert"
    subject: Subject
    severity: Literal["low", "medium", "high"]
    profile: str = Field(description="the name of the risk profile that matched")
    refers_to: str | None = Field(default=None, description="a message id or a case reference")
    body: str
