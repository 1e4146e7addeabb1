"""What SQLite's planner does with the statements a repository call sends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event

from storage import Database, Store


async def plans(db: Database, call: Callable[[Store], Awaitable[Any]]) -> list[str]:
    """``call`` run in a read transaction; each statement it sent, as SQLite's
    ``EXPLAIN QUERY PLAN`` details joined in one line."""
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    async with db.reading() as tx:
        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            await call(tx)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        conn = await tx.session.connection()
        details = []
        for statement, parameters in statements:
            plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            details.append(" ".join(row[3] for row in plan))
    return details
