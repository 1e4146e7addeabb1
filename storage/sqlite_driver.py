"""SQLite through aiosqlite: write transactions on the event loop, reads one thread hop each.

aiosqlite runs each SQLite call in the connection's own thread and hands the result
back to the event loop. SQLAlchemy's adapter makes four such calls for one statement
(open a cursor, execute, fetch the rows, close the cursor), and every hand-over costs
two thread wake-ups: on a small virtual machine ≈ 85 µs of CPU each, so ≈ 340 µs for
a ``SELECT 1`` — more than most of our statements take to run. A node's one-message
transaction is half a dozen statements; the latency at a steady rate and every small
batch paid for it.

:class:`OneHopCursor` does the four steps in one call in that thread and keeps what
SQLAlchemy reads afterwards (description, rows, row count, last row id). It is a
cursor class for SQLAlchemy's own aiosqlite adapter, given to the engine through its
public ``module`` argument (:func:`dbapi`); transactions, the pool, errors and the
server-side cursors used for streaming stay SQLAlchemy's and aiosqlite's. The one
private part used is aiosqlite's queue of calls (``Connection._execute``) and its
``sqlite3`` connection (``_conn``), both stable across aiosqlite's releases and
pinned in ``pyproject.toml``; the whole test suite runs through this cursor.

**Write transactions run on the event loop's thread** (:func:`on_the_loop`, entered by
``Database`` while a task holds the process's writer lock). Even one hop a statement
cost ≈ 150 to 200 µs of wake-ups against 15 to 90 µs of SQLite work: a one-mail submit took
3.1 ms, 1.7 ms without the hops. A write transaction is a bounded batch, and while it
runs no other write transaction of the process may anyway; reads (searches, exports,
streaming) still go to the thread, where a long one does not hold the loop. The
price: a write that finds the file locked by *another process* waits in SQLite's busy
handler on the loop, so ``icomm serve --workers N``, whose processes share one file,
keeps every statement in the thread (:func:`shared_with_other_processes`).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

#: this task's statements run on the event loop's thread (see :func:`on_the_loop`)
_on_loop: ContextVar[bool] = ContextVar("sqlite_on_loop", default=False)
#: whether :func:`on_the_loop` may put them there (not when processes share the file)
_loop_allowed = True


@contextmanager
def on_the_loop() -> Iterator[None]:
    """Within: this task's statements, commit and rollback run on the event loop's
    thread, without a hop (unless :func:`shared_with_other_processes` was called)."""
    token = _on_loop.set(_loop_allowed)
    try:
        yield
    finally:
        _on_loop.reset(token)


def shared_with_other_processes() -> None:
    """This process shares its database file with other writing processes: keep every
    statement in the connection's thread, where waiting for their lock holds no loop."""
    global _loop_allowed
    _loop_allowed = False


#: what a statement leaves for SQLAlchemy to read: description, rows, rowcount, lastrowid
Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """One statement, start to end, in the connection's thread."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose every statement is one call into aiosqlite's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount", "arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # no aiosqlite cursor is opened
        self._soft_closed_memoized = EMPTY_DICT
        self._rows: collections.deque[Any] = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self.arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._call(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return self._call(operation, seq_of_parameters, many=True)

    def _call(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            await_(self._hop(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _hop(self, operation: str, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        outcome: Outcome
        if _on_loop.get():  # still a coroutine: SQLAlchemy requires one to be awaited
            outcome = _run(connection._conn, operation, parameters, many)
        else:
            async with self._adapt_connection._execute_mutex:
                outcome = await connection._execute(
                    _run, connection._conn, operation, parameters, many
                )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the rows are already here."""

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """Also skips the rollback the pool makes when a connection comes back, when
    nothing ran since the commit (another hop, for a transaction already closed)."""

    __slots__ = ("_settled",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self._settled = False  # committed or rolled back, and no cursor since

    def cursor(self, server_side: bool = False) -> Any:
        self._settled = False
        return super().cursor(server_side)

    def commit(self) -> None:
        if _on_loop.get():
            self._on_loop(self._connection._conn.commit)  # type: ignore[attr-defined]
        else:
            super().commit()
        self._settled = True

    def rollback(self) -> None:
        if not self._settled:
            if _on_loop.get():
                self._on_loop(self._connection._conn.rollback)  # type: ignore[attr-defined]
            else:
                super().rollback()
            self._settled = True

    def _on_loop(self, call: Any) -> None:
        try:
            call()
        except Exception as error:
            self._handle_exception(error)


def on_the_loop_connection(dbapi_connection: Any) -> sqlite3.Connection | None:
    """The ``sqlite3`` connection under a pooled connection, to run a statement on
    directly, when this task's statements run on the loop (else None: go through
    SQLAlchemy). The transaction it writes in is then rolled back like any other."""
    if not _on_loop.get() or not isinstance(dbapi_connection, OneHopConnection):
        return None
    dbapi_connection._settled = False  # a statement ran: a failure must roll it back
    return dbapi_connection._connection._conn  # type: ignore[attr-defined, no-any-return]


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DB-API shim, with connections that use :class:`OneHopCursor`."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    """The ``module`` to give ``create_async_engine`` for a ``sqlite+aiosqlite`` URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
