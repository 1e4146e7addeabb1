"""The versioned Icomm message types (pydantic v2), their canonical JSON and their JSON Schema.

Serialisation of messages in the project goes through this package only:
``parse_message`` and ``dump_message``.
"""

from message_schemas.address import Address, NodeId, node_of, parse_address
from message_schemas.alert import Alert
from message_schemas.base import MessageBase
from message_schemas.case_records import (
    NOMINAL,
    Commodity,
    Company,
    Conveyance,
    IdentityDocument,
    PartyLink,
    Photo,
    Route,
    Seizure,
    Suspect,
    record_document,
)
from message_schemas.cases import CaseShare, CenCommodity, CenOffender, CenSeizure, SharedCase
from message_schemas.codec import dump_message, parse_message
from message_schemas.envelope_header import EnvelopeHeader, HeaderEntry
from message_schemas.errors import SchemaError
from message_schemas.export import export_json_schemas
from message_schemas.fields import new_id
from message_schemas.keys_announce import KeysAnnounce
from message_schemas.mail import Attachment, Mail
from message_schemas.message import MESSAGE_TYPES, Message
from message_schemas.receipt import Acknowledgement, Receipt, RecipientResult
from message_schemas.vocabulary import HandlingCode

__all__ = [
    "MESSAGE_TYPES",
    "NOMINAL",
    "Acknowledgement",
    "Address",
    "Alert",
    "Attachment",
    "CaseShare",
    "CenCommodity",
    "CenOffender",
    "CenSeizure",
    "Commodity",
    "Company",
    "Conveyance",
    "EnvelopeHeader",
    "HandlingCode",
    "HeaderEntry",
    "IdentityDocument",
    "KeysAnnounce",
    "Mail",
    "Message",
    "MessageBase",
    "NodeId",
    "PartyLink",
    "Photo",
    "Receipt",
    "RecipientResult",
    "Route",
    "SchemaError",
    "Seizure",
    "SharedCase",
    "Suspect",
    "dump_message",
    "export_json_schemas",
    "new_id",
    "node_of",
    "parse_address",
    "parse_message",
    "record_document",
]
