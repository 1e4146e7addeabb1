"""Reading mailboxes: folders, one message with its attachments, delivery state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.errors import AddressError
from message_schemas import Attachment, Mail, Message, parse_message
from storage import BlobStore, Database, FolderItem, NotFound, StoredDelivery


@dataclass(frozen=True)
class OpenedMessage:
    message: Message
    origin: str
    read_at: datetime | None


class Mailbox:
    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self.db = db
        self.blobs = blobs

    async def folder(
        self,
        owner: str,
        folder: str = "inbox",
        *,
        unread_only: bool = False,
        in_arrival_order: bool = False,
        limit: int = 100,
    ) -> list[FolderItem]:
        async with self.db.transaction() as tx:
            return await tx.mailbox.folder(
                owner,
                folder,
                unread_only=unread_only,
                in_arrival_order=in_arrival_order,
                limit=limit,
            )

    async def mark_read(self, owner: str, message_id: str) -> None:
        async with self.db.transaction() as tx:
            await tx.mailbox.mark_read(message_id, owner)

    async def open(self, owner: str, message_id: str, *, mark_read: bool = True) -> OpenedMessage:
        """A message in ``owner``'s mailbox, attachments restored from the blob store."""
        async with self.db.transaction() as tx:
            if not any(o == owner for o, _ in await tx.mailbox.copies(message_id)):
                raise AddressError(f"message {message_id} is not in {owner}'s mailbox")
            try:
                row = await tx.mailbox.get(message_id)
            except NotFound as exc:
                raise AddressError(str(exc)) from exc
            metas = await tx.mailbox.attachments(message_id)
            read_at = await tx.mailbox.read_at(message_id, owner)
            if mark_read:
                await tx.mailbox.mark_read(message_id, owner)
        message = parse_message(row.payload)
        if isinstance(message, Mail) and metas:
            attachments = [
                Attachment.from_bytes(m.filename, self.blobs.get(m.sha256), media_type=m.media_type)
                for m in metas
            ]
            message = message.model_copy(update={"attachments": attachments})
        return OpenedMessage(message, row.origin, read_at)

    async def delivery_summary(self, message_ids: list[str]) -> dict[str, dict[str, int]]:
        """Per message: recipients pending, delivered and failed."""
        async with self.db.transaction() as tx:
            return await tx.deliveries.summary(message_ids)

    async def deliveries(self, message_id: str) -> list[StoredDelivery]:
        async with self.db.transaction() as tx:
            return list(await tx.deliveries.for_message(message_id))
