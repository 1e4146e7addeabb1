"""The union of every message type, told apart by ``type``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from message_schemas.alert import Alert
from message_schemas.base import MessageBase
from message_schemas.cases import CaseShare, CenSeizure
from message_schemas.keys_announce import KeysAnnounce
from message_schemas.mail import Mail
from message_schemas.receipt import Receipt

Message = Annotated[
    Mail | Receipt | CaseShare | CenSeizure | Alert | KeysAnnounce, Field(discriminator="type")
]

MESSAGE_TYPES: dict[str, type[MessageBase]] = {
    model.type_name(): model
    for model in (Mail, Receipt, CaseShare, CenSeizure, Alert, KeysAnnounce)
}
"""Every message type by its ``type`` value."""
