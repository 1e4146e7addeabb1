"""Many rows in one go, without SQLAlchemy's work for every row.

Executed with a list of dictionaries, SQLAlchemy builds each row's parameters afresh:
it walks the compiled statement's bind names, looks each up, runs the column type's
bind processor and turns the result into the driver's tuple — ≈ 5 µs a row of ten
columns on a small virtual machine. A mail writes ≈ 8 rows between its two nodes
(message, folder entry, outbox, delivery and its update; message, seen id and folder
entry at the other end), so this was ≈ 11 % of a node's main thread in the year-of-SIENA
flow.

A :class:`BulkInsert` (and a :class:`BulkUpdate`) is declared once per statement, with
its columns in a fixed order, and given plain tuples. It still converts every value with
its column type's own bind processor (the very values SQLAlchemy would have sent: dates
as SQLite stores them, JSON as text, the check against NUL characters), applies each
converter only to the columns that have one, converts a value shared by every row
(``shared=``) once, and hands the driver the tuples: executed for many rows when
nothing comes back; with ``RETURNING`` (the ids of the rows inserted now) as one
multi-row statement per :data:`ROWS_PER_STATEMENT` rows, as SQLAlchemy's own
"insertmanyvalues" does. A :class:`BulkSelect` reads the rows of many keys the same
way (each value converted by its column type's result processor), and :func:`execute`
runs a fixed statement of the dialect's own text: the lookups and the index statement of
a write transaction's hot path, where SQLAlchemy's own execution costs more than the
statement.

Only the two dialects a node runs on are known here: SQLite (``?`` placeholders) and
PostgreSQL through asyncpg (``$1``…).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import SessionTransaction

from storage import sqlite_driver
from storage.store import ROWS_PER_STATEMENT, in_chunks

#: the key of a session's ``info`` under which its transaction's :class:`_Target` is kept
_TARGET = "storage.bulk.target"
#: statement texts kept per statement (one per number of rows: a CEN page, a submit group…)
TEXTS_KEPT = 32


class _Columns:
    """Columns in order, and how to convert their values for one dialect: as they are
    written (``reading=False``: the parameters of a statement) or as they are read."""

    def __init__(
        self, table: Table, names: Sequence[str], dialect: Dialect, *, reading: bool = False
    ) -> None:
        # the dialect's own type (a time as SQLite's text form), as the ORM converts: the
        # generic type's processor left a time to the driver, which wrote another form
        types = [table.c[name].type.dialect_impl(dialect) for name in names]
        processors = [
            t.result_processor(dialect, None) if reading else t.bind_processor(dialect)
            for t in types
        ]
        self.converting = [(i, p) for i, p in enumerate(processors) if p is not None]

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not self.converting:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for i, process in self.converting:
                values[i] = process(values[i])
            converted.append(tuple(values))
        return converted


def _marks(dialect: Dialect, count: int, first: int = 1) -> list[str]:
    """``count`` placeholders: ``?`` on SQLite, ``$first``, ``$first+1``… through asyncpg."""
    if dialect.paramstyle == "qmark":
        return ["?"] * count
    if dialect.paramstyle == "numeric_dollar":
        return [f"${n}" for n in range(first, first + count)]
    raise NotImplementedError(f"no bulk statements for the {dialect.paramstyle} paramstyle")


@dataclass(frozen=True)
class _Target:
    """Where a transaction's bulk statements go: its connection, and in a SQLite write
    transaction (statements on the event loop) the ``sqlite3`` connection under it."""

    transaction: SessionTransaction
    connection: AsyncConnection
    direct: sqlite3.Connection | None


async def _target(session: AsyncSession) -> _Target:
    """The session's connection, once what the session holds is flushed (as
    ``session.execute`` does: rows added through the ORM are written first).

    Found once per transaction: asking SQLAlchemy for it is three hops into its greenlet
    (≈ 25 µs), for each of the half a dozen statements of a one-mail submit."""
    sync = session.sync_session
    if sync.new or sync.deleted or sync.dirty:
        await session.flush()
    held: _Target | None = session.info.get(_TARGET)
    if held is not None and held.transaction is sync.get_transaction():
        return held
    connection = await session.connection()  # begins the session's transaction if need be
    raw = await connection.get_raw_connection()
    direct = sqlite_driver.on_the_loop_connection(raw.dbapi_connection)
    transaction = sync.get_transaction()
    assert transaction is not None  # the connection was had inside it
    target = session.info[_TARGET] = _Target(transaction, connection, direct)
    return target


async def _run(target: _Target, sql: str, values: Any, *, many: bool) -> list[Sequence[Any]]:
    """Run a statement; the rows it returns.

    In a SQLite write transaction straight on the ``sqlite3`` connection: SQLAlchemy's
    execution of an already-built statement with ready values cost ≈ 100 µs, more than
    most of these take to run. Its errors are still SQLAlchemy's (``IntegrityError``…),
    as through ``exec_driver_sql``.
    """
    if target.direct is None:
        result = await target.connection.exec_driver_sql(sql, values)
        return list(result.all()) if result.returns_rows else []
    try:
        if many:
            target.direct.executemany(sql, values).close()
            return []
        cursor = target.direct.execute(sql, values)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()
    except sqlite3.Error as exc:
        engine = target.connection.sync_engine
        raise DBAPIError.instance(
            sql, values, exc, sqlite3.Error, engine.hide_parameters, dialect=engine.dialect
        ) from exc


async def execute(
    session: AsyncSession, sql: str | Callable[[Dialect], str], values: Sequence[Any] = ()
) -> list[Sequence[Any]]:
    """A fixed statement of the dialect's own SQL text (or made for the session's dialect
    by ``sql``), on the transaction's connection (the way the bulk statements go: on a
    SQLite write, straight to ``sqlite3``); the rows it returns, as the driver gives them."""
    target = await _target(session)
    text = sql if isinstance(sql, str) else sql(target.connection.dialect)
    return await _run(target, text, tuple(values), many=False)


def placeholders(dialect: Dialect, count: int, first: int = 1) -> str:
    """``count`` bound parameters for a statement's text, comma-separated."""
    return ", ".join(_marks(dialect, count, first))


class _Statement:
    """What both kinds share: the table, the columns shared by every row (first) and
    those given per row (after them)."""

    def __init__(self, table: Table, shared: Sequence[str], per_row: Sequence[str]) -> None:
        self.table = table
        self.shared = tuple(shared)
        self.per_row = tuple(per_row)
        self.names = (*self.shared, *self.per_row)
        self._columns: dict[str, tuple[_Columns, _Columns]] = {}
        self._texts: dict[tuple[str, int], str] = {}

    def _sql(self, dialect: Dialect, rows: int = 1) -> str:
        """The statement's text for ``rows`` rows (or keys), kept for the sizes used
        lately (a statement of 500 rows is a few thousand placeholders, built each time)."""
        text = self._texts.get((dialect.name, rows))
        if text is None:
            if len(self._texts) >= TEXTS_KEPT:
                del self._texts[next(iter(self._texts))]
            text = self._texts[dialect.name, rows] = self._statement(dialect, rows)
        return text

    def _statement(self, dialect: Dialect, rows: int) -> str:
        raise NotImplementedError

    def _converted(
        self, dialect: Dialect, rows: Sequence[Sequence[Any]], shared: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        if set(shared) != set(self.shared):
            given = tuple(sorted(shared))
            raise TypeError(f"{self.table.name}: shared values are {self.shared}, not {given}")
        columns = self._columns.get(dialect.name)
        if columns is None:
            columns = self._columns[dialect.name] = (
                _Columns(self.table, self.shared, dialect),
                _Columns(self.table, self.per_row, dialect),
            )
        common, each = columns
        head = common.rows([tuple(shared[name] for name in self.shared)])[0]
        return [head + row for row in each.rows(rows)] if head else each.rows(rows)

    def _quoted(self, dialect: Dialect, name: str) -> str:
        return dialect.identifier_preparer.quote(name)

    def _table(self, dialect: Dialect) -> str:
        return dialect.identifier_preparer.format_table(self.table)


class BulkInsert(_Statement):
    """``INSERT`` of many rows; optionally ``ON CONFLICT DO NOTHING`` and ``RETURNING`` a
    column of the rows inserted now (the others are left alone)."""

    def __init__(
        self,
        table: Table,
        columns: Sequence[str],
        *,
        shared: Sequence[str] = (),
        skip_duplicates: bool = False,
        returning: str | None = None,
    ) -> None:
        super().__init__(table, shared, columns)
        self.skip_duplicates = skip_duplicates
        self.returning = returning

    def _statement(self, dialect: Dialect, rows: int) -> str:
        width = len(self.names)
        groups = ", ".join(
            "(" + ", ".join(_marks(dialect, width, r * width + 1)) + ")" for r in range(rows)
        )
        names = ", ".join(self._quoted(dialect, name) for name in self.names)
        # names from the table's metadata, quoted by the dialect; every value is bound
        sql = f"INSERT INTO {self._table(dialect)} ({names}) VALUES {groups}"  # noqa: S608
        if self.skip_duplicates:
            sql += " ON CONFLICT DO NOTHING"
        if self.returning is not None:
            sql += f" RETURNING {self._quoted(dialect, self.returning)}"
        return sql

    async def __call__(
        self, session: AsyncSession, rows: Sequence[Sequence[Any]], **shared: Any
    ) -> list[Any]:
        """Insert ``rows`` (tuples in the declared column order; ``shared`` gives the
        shared columns' values); the returned column of the rows inserted now."""
        if not rows:
            return []
        target = await _target(session)
        dialect = target.connection.dialect
        values = self._converted(dialect, rows, shared)
        if self.returning is None:  # one statement executed for every row
            return await _run(target, self._sql(dialect), values, many=True)
        returned: list[Any] = []
        for chunk in in_chunks(values, ROWS_PER_STATEMENT):
            flat = tuple(value for row in chunk for value in row)
            sql = self._sql(dialect, len(chunk))
            returned.extend(row[0] for row in await _run(target, sql, flat, many=False))
        return returned


class BulkUpdate(_Statement):
    """``UPDATE … SET <columns> WHERE <key> = …`` for many rows: each row gives the set
    columns' values, then its key (a key of several columns: each of their values)."""

    def __init__(
        self,
        table: Table,
        columns: Sequence[str],
        *,
        key: str | Sequence[str],
        shared: Sequence[str] = (),
    ) -> None:
        keys = (key,) if isinstance(key, str) else tuple(key)
        super().__init__(table, shared, (*columns, *keys))
        self.keys = len(keys)

    def _statement(self, dialect: Dialect, rows: int) -> str:
        names = [self._quoted(dialect, name) for name in self.names]
        pairs = [f"{n} = {m}" for n, m in zip(names, _marks(dialect, len(names)), strict=True)]
        settings, keys = ", ".join(pairs[: -self.keys]), " AND ".join(pairs[-self.keys :])
        # names from the table's metadata, quoted by the dialect; every value is bound
        return f"UPDATE {self._table(dialect)} SET {settings} WHERE {keys}"  # noqa: S608

    async def __call__(
        self, session: AsyncSession, rows: Sequence[Sequence[Any]], **shared: Any
    ) -> None:
        """Update each row (its columns' values, then its key); ``shared`` gives the shared
        columns' values."""
        if rows:
            target = await _target(session)
            dialect = target.connection.dialect
            values = self._converted(dialect, rows, shared)
            await _run(target, self._sql(dialect), values, many=True)


class BulkSelect(_Statement):
    """``SELECT <columns> FROM … WHERE <key> IN (…)``: the rows of many keys, one statement
    per :data:`ROWS_PER_STATEMENT` keys, each value converted as the column type reads it
    (a flag as a bool, a time as an aware datetime). Meant for the lookups of a write
    transaction's hot path (SQLAlchemy's own select costs ≈ 100 µs before it runs)."""

    def __init__(self, table: Table, columns: Sequence[str], *, key: str) -> None:
        super().__init__(table, (), (key,))
        self.columns = tuple(columns)
        self._readers: dict[str, _Columns] = {}

    def _statement(self, dialect: Dialect, keys: int) -> str:
        names = ", ".join(self._quoted(dialect, name) for name in self.columns)
        marks = ", ".join(_marks(dialect, keys))
        key = self._quoted(dialect, self.per_row[0])
        # names from the table's metadata, quoted by the dialect; every value is bound
        return f"SELECT {names} FROM {self._table(dialect)} WHERE {key} IN ({marks})"  # noqa: S608

    def _read(self, dialect: Dialect, rows: list[Sequence[Any]]) -> list[tuple[Any, ...]]:
        readers = self._readers.get(dialect.name)
        if readers is None:
            readers = self._readers[dialect.name] = _Columns(
                self.table, self.columns, dialect, reading=True
            )
        return readers.rows(rows)

    async def __call__(self, session: AsyncSession, keys: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows whose key is one of ``keys`` (in no particular order)."""
        if not keys:
            return []
        target = await _target(session)
        dialect = target.connection.dialect
        values = [value for (value,) in self._converted(dialect, [(k,) for k in keys], {})]
        found: list[Sequence[Any]] = []
        for chunk in in_chunks(values, ROWS_PER_STATEMENT):
            found += await _run(target, self._sql(dialect, len(chunk)), tuple(chunk), many=False)
        return self._read(dialect, found)
