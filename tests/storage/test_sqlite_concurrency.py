"""SQLite with several writers at once: each waits its turn instead of failing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import Database


async def test_concurrent_read_then_write_transactions_all_commit(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'icomm.db'}")
    await db.migrate()

    async def add(name: str) -> None:
        async with db.transaction() as tx:
            assert await tx.users.find(name) is None  # a read first …
            await asyncio.sleep(0.01)  # … others commit meanwhile …
            await tx.users.add(name, "officer", None)  # … then a write

    try:
        await asyncio.gather(*(add(f"user{i}") for i in range(20)))
        async with db.transaction() as tx:
            assert len(await tx.users.list()) == 20
    finally:
        await db.close()
