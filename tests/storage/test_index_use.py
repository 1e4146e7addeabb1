"""Every lookup the dropped indexes might have served still goes through an index."""

from __future__ import annotations

from query_plans import plans
from revisions import migrate
from sqlalchemy import inspect

from storage import Database

DROPPED = {
    "ix_messages_sender",
    "ix_messages_created",
    "ix_outbox_message_id",
    "ix_deliveries_message_id",
}


async def indexes(db: Database) -> set[str]:
    """The names of the indexes of the tables whose unused indexes went."""
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: {
                index["name"]
                for table in ("messages", "outbox", "deliveries")
                for index in inspect(sync).get_indexes(table)
            }
        )


async def test_deliveries_are_found_by_message_id_through_their_unique_index(
    sqlite_db: Database,
) -> None:
    lookups = [
        *await plans(sqlite_db, lambda tx: tx.deliveries.summary(["m1", "m2"])),
        *await plans(sqlite_db, lambda tx: tx.deliveries.for_message("m1")),
    ]
    present = await indexes(sqlite_db)
    assert len(lookups) == 2
    unique_index = "SEARCH deliveries USING INDEX sqlite_autoindex_deliveries_1 (message_id=?)"
    assert all(unique_index in details for details in lookups)
    assert present.isdisjoint(DROPPED)
    assert "ix_messages_thread_id" in present  # a thread is still found through its index


async def test_the_migration_drops_them_and_going_back_makes_them_again(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        assert (await indexes(db)).isdisjoint(DROPPED)
        await migrate(db, "0009", down=True)
        assert DROPPED <= await indexes(db)
        await db.migrate()
        assert (await indexes(db)).isdisjoint(DROPPED)
    finally:
        await db.close()


async def test_the_oldest_pending_rows_come_in_order_from_the_index_without_a_sort(
    sqlite_db: Database,
) -> None:
    [plan] = await plans(sqlite_db, lambda tx: tx.outbox.pending(512))
    assert "SEARCH o USING INDEX ix_outbox_state_id (state=?)" in plan
    assert "TEMP B-TREE" not in plan  # every pending row sorted to keep the first few
