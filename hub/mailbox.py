"""Reading mailboxes: folders, one message with its attachments, delivery state.

What only reads goes through read transactions: on SQLite they run beside the writers
(in aiosqlite's thread, on a snapshot of what was committed), so a folder listing or a
search over a million messages never holds the node's write lock, nor the event loop
while SQLite works. Opening a message and marking it read are writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.errors import AddressError
from message_schemas import Attachment, Mail, Message, parse_message
from storage import (
    BlobStore,
    Database,
    FolderItem,
    NotFound,
    StoredAttachment,
    StoredDelivery,
    StoredMessage,
)

#: messages that arrived from other nodes for a subscribed mailbox, kept as the receiver
#: parsed them, at most this many bytes of JSON in all (the objects take a few times
#: more): the subscription hands them over without parsing their rows again. One further
#: behind reads its rows; with ``--workers``, a message another worker's subscription took
#: stays here until newer ones push it out
ARRIVED_BYTES = 4 * 2**20


@dataclass(frozen=True)
class OpenedMessage:
    message: Message
    origin: str
    read_at: datetime | None


class Mailbox:
    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self.db = db
        self.blobs = blobs
        self._arrived: dict[str, tuple[Message, int]] = {}  # by id, oldest first
        self._arrived_bytes = 0

    def arrived(self, messages: Iterable[tuple[Message, int]]) -> None:
        """Keep messages just filed here, with their size, for :meth:`restore` (mail is not
        kept: its attachments are restored from the blob store). The oldest go first once
        :data:`ARRIVED_BYTES` is exceeded."""
        for message, size in messages:
            if not isinstance(message, Mail) and message.id not in self._arrived:
                self._arrived[message.id] = (message, size)
                self._arrived_bytes += size
        while self._arrived_bytes > ARRIVED_BYTES:
            _, size = self._arrived.pop(next(iter(self._arrived)))
            self._arrived_bytes -= size

    async def folder(
        self,
        owner: str,
        folder: str = "inbox",
        *,
        unread_only: bool = False,
        limit: int = 100,
    ) -> list[FolderItem]:
        async with self.db.reading() as tx:
            return await tx.mailbox.folder(
                owner,
                folder,
                unread_only=unread_only,
                limit=limit,
            )

    async def mark_read(self, owner: str, *message_ids: str) -> None:
        async with self.db.transaction() as tx:
            await tx.mailbox.mark_read(message_ids, owner)

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
                await tx.mailbox.mark_read([message_id], owner)
        return OpenedMessage(self._restored(row, metas), row.origin, read_at)

    async def unread(self, owner: str, limit: int) -> list[Message]:
        """The oldest unread messages of ``owner``'s inbox, as sent, in arrival order (what
        a subscription hands over next). Those kept by :meth:`arrived` are taken as they
        are; only the others' rows are read (a listing of the rows read and converted
        every message of a batch of 500 only to find most of them kept)."""
        async with self.db.reading() as tx:
            ids = await tx.mailbox.unread(owner, limit)
        kept = {message_id: self._take(message_id) for message_id in ids}
        missing = [message_id for message_id, message in kept.items() if message is None]
        if missing:
            async with self.db.reading() as tx:
                rows = await tx.mailbox.get_many(missing)
            for message_id in missing:
                kept[message_id] = await self.restore(rows[message_id])
        return [message for message in kept.values() if message is not None]

    def _take(self, message_id: str) -> Message | None:
        """A message kept by :meth:`arrived`, handed over once."""
        kept = self._arrived.pop(message_id, None)
        if kept is None:
            return None
        self._arrived_bytes -= kept[1]
        return kept[0]

    async def restore(self, row: StoredMessage) -> Message:
        """A message as it was sent, from its row (a folder's listing holds the rows), its
        attachments restored from the blob store: no lookup unless it is a mail. One kept
        by :meth:`arrived` is handed over once as it was parsed on arrival (its row holds
        the very bytes it was parsed from)."""
        kept = self._take(row.id)
        if kept is not None:
            return kept
        metas: Sequence[StoredAttachment] = ()
        if row.type == "mail":
            async with self.db.reading() as tx:
                metas = await tx.mailbox.attachments(row.id)
        return self._restored(row, metas)

    def _restored(self, row: StoredMessage, metas: Sequence[StoredAttachment]) -> Message:
        message = parse_message(row.payload)
        if isinstance(message, Mail) and metas:
            attachments = [
                Attachment.from_bytes(m.filename, self.blobs.get(m.sha256), media_type=m.media_type)
                for m in metas
            ]
            message = message.model_copy(update={"attachments": attachments})
        return message

    async def delivery_summary(self, message_ids: list[str]) -> dict[str, dict[str, int]]:
        """Per message: recipients pending, delivered and failed."""
        async with self.db.reading() as tx:
            return await tx.deliveries.summary(message_ids)

    async def deliveries(self, message_id: str) -> list[StoredDelivery]:
        async with self.db.reading() as tx:
            return list(await tx.deliveries.for_message(message_id))

    async def search(
        self, owner: str, text: str, folder: str | None = None, *, limit: int = 100
    ) -> list[FolderItem]:
        """Messages of ``owner`` (in one folder, or all) holding every word of ``text`` in
        their subject, sender, recipients or body, the last word also as the start of one
        (from three characters); case and Latin accents ignored in every script, newest
        arrival first, through the full-text index the database keeps. Query syntax typed
        (quotes, ``*``, ``AND``, ``:`` …) is only text: it never fails the search."""
        async with self.db.reading() as tx:
            return await tx.mailbox.search(owner, text, folder, limit=limit)

    async def thread(self, owner: str, thread_id: str) -> list[StoredMessage]:
        """The messages of a thread that are in ``owner``'s mailbox, oldest first."""
        async with self.db.reading() as tx:
            return list(await tx.mailbox.owner_thread(owner, thread_id))

    async def unread_count(self, owner: str, folder: str = "inbox") -> int:
        async with self.db.reading() as tx:
            return await tx.mailbox.unread_count(owner, folder)

    async def attachment_counts(self, message_ids: list[str]) -> dict[str, int]:
        async with self.db.reading() as tx:
            return await tx.mailbox.attachment_counts(message_ids)

    async def folders_of(self, owner: str, message_id: str) -> set[str]:
        """The folders of ``owner`` a message is filed in (empty: not in their mailbox)."""
        async with self.db.reading() as tx:
            return {f for o, f in await tx.mailbox.copies(message_id) if o == owner}

    async def attachment(self, owner: str, message_id: str, position: int) -> Attachment:
        """One attachment of a message in ``owner``'s mailbox (0 is the first), from the
        blob store, without restoring the others."""
        async with self.db.reading() as tx:
            if not any(o == owner for o, _ in await tx.mailbox.copies(message_id)):
                raise AddressError(f"message {message_id} is not in {owner}'s mailbox")
            metas = list(await tx.mailbox.attachments(message_id))
        if not 0 <= position < len(metas):
            raise AddressError(f"message {message_id} has no attachment {position}")
        meta = metas[position]
        return Attachment.from_bytes(
            meta.filename, self.blobs.get(meta.sha256), media_type=meta.media_type
        )

    async def stored(self, owner: str, message_id: str) -> StoredMessage:
        """A message's row (headers, no attachments) if it is in ``owner``'s mailbox."""
        async with self.db.reading() as tx:
            if not any(o == owner for o, _ in await tx.mailbox.copies(message_id)):
                raise AddressError(f"message {message_id} is not in {owner}'s mailbox")
            return await tx.mailbox.get(message_id)
