"""The JSON API's request and response bodies (pydantic), as the OpenAPI document shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from message_schemas import HandlingCode
from message_schemas.fields import MessageId
from message_schemas.mail import Base64Content
from message_schemas.vocabulary import InformationEvaluation, SourceEvaluation


class Problem(BaseModel):
    detail: str


class SignIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class SessionInfo(BaseModel):
    username: str
    address: str
    csrf_token: str


class Me(SessionInfo):
    display_name: str
    role: str
    node: str
    unread: int = Field(description="Unread messages in the inbox.")


class DeliveryCounts(BaseModel):
    pending: int = 0
    delivered: int = 0
    failed: int = 0


class MessageSummary(BaseModel):
    id: str
    type: str
    sender: str
    to: list[str]
    subject: str | None
    created: datetime
    thread_id: str | None
    read: bool
    attachments: int
    delivery: DeliveryCounts | None = Field(None, description="Sent folder only.")


class AttachmentInfo(BaseModel):
    index: int
    filename: str
    media_type: str
    size: int
    sha256: str
    url: str


class MessageDetail(BaseModel):
    id: str
    type: str
    sender: str
    to: list[str]
    created: datetime
    folders: list[str]
    read_at: datetime | None = Field(description="When first opened (None: unread until now).")
    subject: str | None = None
    body: str | None = None
    has_html: bool = Field(False, description="An HTML version exists (not served by the API).")
    thread_id: str | None = None
    in_reply_to: str | None = None
    handling_code: str | None = None
    source_evaluation: str | None = None
    information_evaluation: str | None = None
    attachments: list[AttachmentInfo] = []
    content: dict[str, object] | None = Field(None, description="Other message types, whole.")


class DeliveryInfo(BaseModel):
    address: str
    status: str = Field(description="pending, delivered or failed")
    reason: str | None
    updated_at: datetime


class NewAttachment(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    media_type: str | None = None
    content: Base64Content


class NewMessage(BaseModel):
    to: list[str] = Field(min_length=1, description="local@node, or a bare name at this node.")
    subject: str = Field("", max_length=998)
    body: str = ""
    handling_code: HandlingCode = HandlingCode.H1
    source_evaluation: SourceEvaluation | None = None
    information_evaluation: InformationEvaluation | None = None
    in_reply_to: MessageId | None = None
    attachments: list[NewAttachment] = []


class Submitted(BaseModel):
    id: str
    thread_id: str | None
    to: list[str]
    created: datetime
