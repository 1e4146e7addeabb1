"""Messages and the folders they sit in (inbox, sent), threads and read state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import (
    Integer,
    Text,
    case,
    cast,
    column,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
    update,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.bulk import BulkInsert, execute
from storage.errors import NotFound
from storage.models import Attachment, MailboxEntry, Message
from storage.search import (
    INDEX,
    INDEX_FILED,
    Terms,
    fts5_query,
    fts5_words,
    mailbox_word,
    terms,
    tsquery_words,
)
from storage.store import in_chunks


@dataclass(frozen=True)
class AttachmentMeta:
    filename: str
    media_type: str
    size: int
    sha256: str


class NewMessage(NamedTuple):
    """A message as the mailbox stores it (the columns of its row)."""

    id: str
    type: str
    sender: str
    recipients: list[str]
    subject: str | None
    thread_id: str | None
    created: datetime
    origin: str  # local | remote
    digest: str | None
    payload: bytes


@dataclass(frozen=True)
class FolderItem:
    message: Message
    read_at: datetime | None


#: how many of the newest mailbox entries tell whether a mailbox holds most of the mail
NEWEST_ENTRIES = 256


def _fts5_match(found: Terms, owner: str, folder: str | None) -> ColumnElement[str]:
    """The FTS5 query for a search of ``owner``'s mailbox (or one folder of it).

    The mailbox's own index word keeps a search of a small mailbox to its own rows. In a
    mailbox that holds most of the mail it is a list as long as the index, which FTS5
    walks beside the words typed, and the words alone are faster: over a million mails,
    nearly all in one inbox, two words p50 17 to 20 → 6 ms, a word and the start of
    another 15 to 18 → 6 ms in the index. So the mailbox's share of the newest
    :data:`NEWEST_ENTRIES` entries decides, in the statement itself (≈ 0.1 ms); the
    query's owner and folder conditions keep the result to the mailbox either way. The
    price, in such a mailbox: matches of the words in other mailboxes are each looked up
    and passed over (few, where it holds most of the mail).
    """
    newest = (
        select(MailboxEntry.owner, MailboxEntry.folder)
        .order_by(MailboxEntry.id.desc())
        .limit(NEWEST_ENTRIES)
        .subquery()
    )
    mine = newest.c.owner == owner
    if folder is not None:
        mine = mine & (newest.c.folder == folder)
    share = select(func.sum(case((mine, 1), else_=0))).scalar_subquery()
    return case(
        (share * 2 > NEWEST_ENTRIES, literal(fts5_words(found))),
        else_=literal(fts5_query(found, owner, folder)),
    )


_MESSAGES = BulkInsert(
    Message.__table__,
    NewMessage._fields,
    shared=("stored_at",),
    skip_duplicates=True,
    returning="id",
)
_ENTRIES = BulkInsert(
    MailboxEntry.__table__,
    ("message_id", "owner", "folder"),
    skip_duplicates=True,
    returning="id",
)


class MailboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_messages(
        self, messages: Sequence[tuple[NewMessage, Sequence[AttachmentMeta]]]
    ) -> set[str]:
        """Store each message once; the ids stored now (an id stored before is left alone).

        Two statements for up to a thousand messages (one more of each per thousand): the
        new rows (``INSERT … ON CONFLICT DO NOTHING RETURNING id``), then their
        attachments' rows.
        """
        fresh: dict[str, tuple[NewMessage, Sequence[AttachmentMeta]]] = {}
        for message, attachments in messages:
            fresh.setdefault(message.id, (message, attachments))
        if not fresh:
            return set()
        rows = [message for message, _ in fresh.values()]
        stored = set(await _MESSAGES(self.session, rows, stored_at=datetime.now(UTC)))
        attachment_rows = [
            {
                "message_id": message.id,
                "position": position,
                "filename": meta.filename,
                "media_type": meta.media_type,
                "size": meta.size,
                "sha256": meta.sha256,
            }
            for message, attachments in fresh.values()
            if message.id in stored
            for position, meta in enumerate(attachments)
        ]
        if attachment_rows:
            await self.session.execute(insert(Attachment.__table__), attachment_rows)
        return stored

    async def add_message(
        self, message: NewMessage, attachments: Sequence[AttachmentMeta] = ()
    ) -> bool:
        """Store a message once; False when its id is already stored."""
        return bool(await self.add_messages([(message, attachments)]))

    async def file_many(self, entries: Sequence[tuple[str, str, str]]) -> None:
        """Put messages in owners' folders, ``(message id, owner, folder)`` each; an entry
        already there is left alone (delivery is exactly-once). One statement for all, and
        on SQLite one more that indexes them for search."""
        await self._file(entries)

    async def file(self, message_id: str, owner: str, folder: str) -> bool:
        """Put a message in an owner's folder; False when it is already there."""
        return bool(await self._file([(message_id, owner, folder)]))

    async def _file(self, rows: Sequence[tuple[str, str, str]]) -> int:
        """File the rows not filed yet; how many were. On SQLite the new entries are
        added to the search index in one statement (migration 0007: in bulk it costs
        well under half of a row trigger); on PostgreSQL a trigger indexes them."""
        if not rows:
            return 0
        filed = await _ENTRIES(self.session, rows)
        if filed and self.session.bind.dialect.name != "postgresql":
            # this transaction is SQLite's only writer: its new entries are the newest
            await execute(self.session, INDEX_FILED, (min(filed) - 1,))
        return len(filed)

    async def get(self, message_id: str) -> Message:
        message = await self.session.get(Message, message_id)
        if message is None:
            raise NotFound(f"no message {message_id}")
        return message

    async def attachments(self, message_id: str) -> Sequence[Attachment]:
        query = (
            select(Attachment)
            .where(Attachment.message_id == message_id)
            .order_by(Attachment.position)
        )
        return (await self.session.scalars(query)).all()

    async def folder(
        self,
        owner: str,
        folder: str = "inbox",
        *,
        unread_only: bool = False,
        limit: int = 100,
    ) -> list[FolderItem]:
        """Latest arrival first, as a mail client lists: the entry's id, which the (owner,
        folder, id) index keeps in order, so the newest page of a large folder is read
        without sorting the folder."""
        query = (
            select(Message, MailboxEntry.read_at)
            .join(MailboxEntry, MailboxEntry.message_id == Message.id)
            .where(MailboxEntry.owner == owner, MailboxEntry.folder == folder)
            .order_by(MailboxEntry.id.desc())
            .limit(limit)
        )
        if unread_only:
            query = query.where(MailboxEntry.read_at.is_(None))
        return [
            FolderItem(msg, read_at) for msg, read_at in (await self.session.execute(query)).all()
        ]

    async def unread(self, owner: str, limit: int, folder: str = "inbox") -> list[str]:
        """The ids of the oldest unread messages in a folder, in arrival order (what a
        subscription takes next; the messages themselves are mostly already parsed)."""
        query = (
            select(MailboxEntry.message_id)
            .where(
                MailboxEntry.owner == owner,
                MailboxEntry.folder == folder,
                MailboxEntry.read_at.is_(None),
            )
            .order_by(MailboxEntry.id)
            .limit(limit)
        )
        return list((await self.session.scalars(query)).all())

    async def get_many(self, message_ids: Sequence[str]) -> dict[str, Message]:
        """The stored messages of these ids (those there are), by id."""
        found: dict[str, Message] = {}
        for ids in in_chunks(message_ids):
            query = select(Message).where(Message.id.in_(ids))
            found.update((m.id, m) for m in (await self.session.scalars(query)).all())
        return found

    async def count(self, owner: str, folder: str = "inbox") -> int:
        query = select(func.count()).where(
            MailboxEntry.owner == owner, MailboxEntry.folder == folder
        )
        return int(await self.session.scalar(query) or 0)

    async def read_at(self, message_id: str, owner: str) -> datetime | None:
        query = select(MailboxEntry.read_at).where(
            MailboxEntry.message_id == message_id, MailboxEntry.owner == owner
        )
        return (await self.session.scalars(query)).first()

    async def copies(self, message_id: str) -> list[tuple[str, str]]:
        """(owner, folder) of every mailbox entry of a message."""
        query = select(MailboxEntry.owner, MailboxEntry.folder).where(
            MailboxEntry.message_id == message_id
        )
        return [(o, f) for o, f in (await self.session.execute(query)).all()]

    async def mark_read(self, message_ids: Sequence[str], owner: str) -> None:
        """Mark messages read in ``owner``'s mailbox (the first reading's time is kept)."""
        for ids in in_chunks(message_ids):
            await self.session.execute(
                update(MailboxEntry)
                .where(
                    MailboxEntry.message_id.in_(ids),
                    MailboxEntry.owner == owner,
                    MailboxEntry.read_at.is_(None),
                )
                .values(read_at=datetime.now(UTC))
            )

    async def thread(self, thread_id: str) -> Sequence[Message]:
        query = select(Message).where(Message.thread_id == thread_id).order_by(Message.created)
        return (await self.session.scalars(query)).all()

    async def search(
        self, owner: str, text: str, folder: str | None = None, *, limit: int = 100
    ) -> list[FolderItem]:
        """Messages in ``owner``'s mailbox (one folder, or all) that hold every word of
        ``text`` in their subject, sender, recipients or body; the last word may be the
        start of one (from three characters). Newest arrival first, as a folder lists;
        case and Latin accents ignored in every script. A message filed in two folders
        (a mail to oneself) is listed once. Text with no word in it finds nothing.

        Read through the full-text index the database keeps (``storage.search``): the
        newest matches of the owner's mailbox are found in the index, not by a scan.
        """
        found = terms(text)
        if found is None or limit <= 0:
            return []
        items: dict[str, FolderItem] = {}
        before: int | None = None
        # without a folder a message may come twice (inbox and sent): a few rows more, and
        # another page in the rare case they were not enough
        page = limit if folder is not None else limit + max(8, limit // 8)
        while len(items) < limit:
            rows = await self._search_page(found, owner, folder, before, page)
            for message, read_at, entry_id in rows:
                items.setdefault(message.id, FolderItem(message, read_at))
                before = entry_id
            if len(rows) < page:
                break
        return list(items.values())[:limit]

    async def _search_page(
        self, found: Terms, owner: str, folder: str | None, before: int | None, page: int
    ) -> Sequence[tuple[Message, datetime | None, int]]:
        """Matching entries of ``owner``, newest first, older than entry ``before``."""
        postgresql = self.session.bind.dialect.name == "postgresql"
        if postgresql:
            index = table(INDEX, column("entry_id", Integer), column("document"))
            entry = index.c.entry_id
            query = cast(literal(f"'{mailbox_word(owner, folder)}'"), TSQUERY).op("&&")(
                func.message_search_query(
                    literal(tsquery_words(found), ARRAY(Text)), literal(found.prefix)
                )
            )
            matches = index.c.document.op("@@")(query)
            # the plan for these very words: how many entries they match decides it
            await self.session.execute(sql_text("SET LOCAL plan_cache_mode = force_custom_plan"))
        else:
            index = table(INDEX, column("rowid", Integer))
            entry = index.c.rowid
            matches = literal_column(INDEX).match(_fts5_match(found, owner, folder))
        query = (
            select(Message, MailboxEntry.read_at, MailboxEntry.id)
            .select_from(index)
            .join(MailboxEntry, MailboxEntry.id == entry)
            .join(Message, Message.id == MailboxEntry.message_id)
            .where(matches, MailboxEntry.owner == owner)
            .order_by(entry.desc())
            .limit(page)
        )
        if folder is not None:
            query = query.where(MailboxEntry.folder == folder)
        if before is not None:
            query = query.where(entry < before)
        return [(m, r, i) for m, r, i in (await self.session.execute(query)).all()]

    async def unread_count(self, owner: str, folder: str = "inbox") -> int:
        query = select(func.count()).where(
            MailboxEntry.owner == owner,
            MailboxEntry.folder == folder,
            MailboxEntry.read_at.is_(None),
        )
        return int(await self.session.scalar(query) or 0)

    async def attachment_counts(self, message_ids: Sequence[str]) -> dict[str, int]:
        """How many attachments each of these messages has (messages without: absent)."""
        if not message_ids:
            return {}
        query = (
            select(Attachment.message_id, func.count())
            .where(Attachment.message_id.in_(list(message_ids)))
            .group_by(Attachment.message_id)
        )
        return {mid: int(n) for mid, n in (await self.session.execute(query)).all()}

    async def owner_thread(self, owner: str, thread_id: str) -> Sequence[Message]:
        """The messages of a thread that are in ``owner``'s mailbox, oldest first."""
        held = select(MailboxEntry.message_id).where(MailboxEntry.owner == owner)
        query = (
            select(Message)
            .where(Message.thread_id == thread_id, Message.id.in_(held))
            .order_by(Message.created, Message.id)
        )
        return (await self.session.scalars(query)).all()
