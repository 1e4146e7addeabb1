"""Which users have new mail to be told of by email, and how far they have been told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MailboxEntry, NotificationMark, User


@dataclass(frozen=True)
class Unannounced:
    """New unread mail of one user that no notice has told of yet."""

    owner: str
    email: str
    language: str
    count: int
    last_entry_id: int


class NotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def unannounced(self, limit: int = 100) -> list[Unannounced]:
        """Active users with a notice address and unread inbox entries newer than their mark."""
        mark = (
            select(NotificationMark.last_entry_id)
            .where(NotificationMark.owner == MailboxEntry.owner)
            .scalar_subquery()
        )
        query = (
            select(
                User.username,
                User.notify_email,
                User.language,
                func.count(MailboxEntry.id),
                func.max(MailboxEntry.id),
            )
            .join(MailboxEntry, MailboxEntry.owner == User.username)
            .where(
                User.active,
                User.notify_email.is_not(None),
                MailboxEntry.folder == "inbox",
                MailboxEntry.read_at.is_(None),
                MailboxEntry.id > func.coalesce(mark, 0),
            )
            .group_by(User.username, User.notify_email, User.language)
            .order_by(User.username)
            .limit(limit)
        )
        rows = (await self.session.execute(query)).all()
        return [Unannounced(o, e, lang, int(n), int(last)) for o, e, lang, n, last in rows]

    async def mark(self, owner: str, last_entry_id: int) -> None:
        held = await self.session.get(NotificationMark, owner)
        if held is None:
            self.session.add(NotificationMark(owner=owner, last_entry_id=last_entry_id))
        else:
            held.last_entry_id = max(held.last_entry_id, last_entry_id)
            held.notified_at = datetime.now(UTC)
        await self.session.flush()
