"""A mailbox's oldest unread entries come from the partial index of unread entries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from query_plans import plans

from storage import Database
from storage.mailbox import NewMessage

WHEN = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def message(number: int) -> NewMessage:
    return NewMessage(
        f"{number:032x}", "cen.seizure", "cen@ge", ["cen@wco"], None, None, WHEN, "remote",
        None, b"{}",
    )  # fmt: skip


async def test_oldest_unread_entries_come_in_arrival_order_past_the_read_ones(
    db: Database,
) -> None:
    async with db.transaction() as tx:
        await tx.mailbox.add_messages([(message(n), ()) for n in range(1, 8)])
        await tx.mailbox.file_many([(message(n).id, "cen", "inbox") for n in range(1, 8)])
        await tx.mailbox.mark_read([message(n).id for n in (1, 2, 3, 5)], "cen")
    async with db.reading() as tx:
        assert await tx.mailbox.unread("cen", 2) == [message(4).id, message(6).id]
        assert await tx.mailbox.unread("cen", 2, folder="sent") == []
        assert await tx.mailbox.unread_count("cen") == 3


async def test_the_unread_query_reads_the_unread_index_on_sqlite(tmp_path: Any) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'icomm.db'}")
    await db.migrate()
    try:
        [details] = await plans(db, lambda tx: tx.mailbox.unread("cen", 100))
        assert "mailbox_entries USING INDEX ix_mailbox_unread" in details
    finally:
        await db.close()
