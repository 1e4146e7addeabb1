"""The node's database: engine, sessions, and migrations applied at start.

SQLite through aiosqlite by default, PostgreSQL through asyncpg in production; the
same code runs on both. ``Database.transaction()`` yields a :class:`Store` whose
repositories share one session, so a message and its outbox row commit together.

A database server that goes away (a PostgreSQL restart, a failover) fails the
transactions in flight, once: after such a failure the next transactions wait,
up to ``reconnect_within`` seconds, until the server answers again, instead of
failing one after the other. The loops above (dispatcher, receiver) retry what
failed; without the wait a transport that redelivers at once would use up an
envelope's attempts in milliseconds and dead-letter it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pydantic_core
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver
from storage.checkpoints import Checkpointer
from storage.errors import StorageError
from storage.store import Store, U

MIGRATIONS = Path(__file__).parent / "migrations"
RECONNECT_SECONDS = 30.0
RECONNECT_POLL = 0.25
CACHE_KIB = 16 * 1024  # SQLite page cache per connection
log = logging.getLogger(__name__)
#: the task holding the SQLite writer lock: a task it starts inherits the variable, not
#: the lock (it queues like any other, instead of writing beside the holder's transaction)
_writer_holder: ContextVar[asyncio.Task[Any] | None] = ContextVar(
    "sqlite_writer_holder", default=None
)


def _lost_server(exc: BaseException) -> bool:
    """An error that may mean the server (or the way to it) went away, not a bad statement."""
    if isinstance(exc, DBAPIError):
        return not isinstance(exc, IntegrityError) and (
            exc.connection_invalidated or exc.orig is None or not _statement_error(exc)
        )
    return isinstance(exc, OSError | ConnectionError | TimeoutError)


def _statement_error(exc: DBAPIError) -> bool:
    """PostgreSQL's SQLSTATE classes that blame the statement or the data, not the link."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in {"22", "23", "40", "42", "P0"}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 16 MiB of page cache a connection instead of SQLite's 2: a batch of a few hundred
    # mails with their search index entries otherwise spills pages mid-transaction
    # (the SIENA flow ran ≈ 4 % faster); the cache fills only as pages are read
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    # the log is copied by the database's Checkpointer, off the loop, not by the commit
    # that crosses 1,000 pages (an in-memory database has no log to copy)
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _json_text(value: Any) -> str:
    """A JSON column's text: pydantic-core's serializer, ≈ 4 times the standard library's
    speed (a feed record, a message's recipients: a few per message filed)."""
    return pydantic_core.to_json(value).decode()


class Database:
    """One node's database."""

    def __init__(self, url: str, *, reconnect_within: float = RECONNECT_SECONDS) -> None:
        self.url = url
        self.reconnect_within = reconnect_within
        self._server_lost = False  # a transaction failed for want of the server
        sqlite = url.startswith("sqlite")
        self._writer = asyncio.Lock() if sqlite else None
        self._checkpointer: Checkpointer | None = None
        if self._writer is not None:
            path = url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                self._checkpointer = Checkpointer(Path(path), self._writer)
        # a server's connections can die behind the pool's back (a restart): ping them
        # first; a SQLite file has no link to lose, and the ping would cost every transaction.
        # SQLite's statements go through storage.sqlite_driver: a write transaction's on
        # the event loop (its connections may be used from that thread, not only from
        # aiosqlite's), every other one a thread hop
        options: dict[str, Any] = (
            {"module": sqlite_driver.dbapi(), "connect_args": {"check_same_thread": False}}
            if sqlite
            else {}
        )
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=not sqlite, json_serializer=_json_text, **options
        )
        if sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._shared: AsyncSession | None = None  # SQLite's write transactions' session
        self._shared_in_use = False

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))

        def upgrade(connection: Any) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(upgrade)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot migrate the database at {self.safe_url}: {exc}") from exc

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def transaction(self) -> AbstractAsyncContextManager[Store]:
        """A unit of work: everything done through the store commits or rolls back together."""
        return self.unit(Store)

    def reading(self) -> AbstractAsyncContextManager[Store]:
        """A transaction that only reads: on SQLite it does not queue behind the writers
        (WAL lets readers run beside them); it must not write."""
        return self.unit(Store, reads_only=True)

    @asynccontextmanager
    async def unit(self, repositories: type[U], *, reads_only: bool = False) -> AsyncIterator[U]:
        """A transaction through another set of repositories (the case stores' own)."""
        if self._server_lost:
            await self._wait_for_server()
        writer = contextlib.nullcontext() if reads_only else self._one_writer()
        try:
            async with writer, self._session(reads_only) as session, session.begin():
                yield repositories(session)
        except Exception as exc:
            if _lost_server(exc):
                self._server_lost = True
                raise StorageError(
                    f"the database at {self.safe_url} is unreachable: {exc}"
                ) from exc
            raise

    def turn_to_write(self) -> AbstractAsyncContextManager[None]:
        """Within: this task's turn to write (on SQLite; elsewhere at once), for the
        transactions it opens — what to write can be gathered once the turn has come."""
        return self._one_writer()

    @asynccontextmanager
    async def _one_writer(self) -> AsyncIterator[None]:
        """On SQLite, this process's transactions one at a time.

        SQLite lets one connection write at a time; the others wait in its busy handler,
        which sleeps (up to 100 ms a time) instead of waking when the lock is free — under
        load whole pipelines stall — and a transaction that read first can fail to write
        at all (its snapshot is stale). Queued here instead, each starts the moment the
        previous one ends. A transaction opened inside one this task already holds goes
        ahead, as before (it would otherwise wait for itself); a task started inside one
        waits its turn like any other. Other processes of the node
        (``--workers``) still meet the busy handler. PostgreSQL needs none of this.

        Holding the lock, the task's statements run on the event loop's thread
        (``sqlite_driver.on_the_loop``); when it ends, the :class:`Checkpointer` is told.
        """
        task = asyncio.current_task()
        if self._writer is None or (task is not None and _writer_holder.get() is task):
            yield
            return
        # the tasks that became ready meanwhile run first, and may queue for the lock: a
        # write transaction yields the loop nowhere else (its statements run on it), so a
        # task writing one after another (a CEN transmission) had kept the lock to itself
        await asyncio.sleep(0)
        async with self._writer:
            token = _writer_holder.set(task)
            try:
                with sqlite_driver.on_the_loop():
                    yield
            finally:
                _writer_holder.reset(token)
                if self._checkpointer is not None:
                    self._checkpointer.wrote()

    async def _wait_for_server(self) -> None:
        """Until a connection is had again (then the next transactions run at once), or the
        time is up (then the transaction runs, and fails as it will)."""
        deadline = time.monotonic() + self.reconnect_within
        while True:
            try:
                async with self.engine.connect():  # the pool's pre-ping weeds out dead links
                    pass
            except Exception as exc:
                if not _lost_server(exc) or time.monotonic() >= deadline:
                    return
                log.debug("waiting for the database at %s: %s", self.safe_url, exc)
                await asyncio.sleep(RECONNECT_POLL)
            else:
                if self._server_lost:
                    log.info("the database at %s answers again", self.safe_url)
                self._server_lost = False
                return

    @asynccontextmanager
    async def _session(self, reads_only: bool) -> AsyncIterator[AsyncSession]:
        """A session for one transaction: on SQLite, the write transactions' own one.

        This process's SQLite write transactions run one at a time, so they share a
        session kept on one connection, emptied after each: a fresh session took its
        connection from the pool and gave it back: ≈ 160 µs of SQLAlchemy's work for
        each transaction, a fifth of a one-mail submit's. A transaction opened inside
        another one (which holds the shared session) gets a fresh session, as every read
        and every PostgreSQL transaction does; a failed transaction's session and its
        connection are dropped, and the next one starts anew.
        """
        if reads_only or self._writer is None or self._shared_in_use:
            async with self._sessions() as session:
                yield session
            return
        self._shared_in_use = True
        try:
            if self._shared is None:
                connection = await self.engine.connect()
                self._shared = self._sessions(bind=connection)
            yield self._shared
        except BaseException:
            await self._drop_shared()
            raise
        else:
            self._shared.expunge_all()  # no row of this transaction is seen as current later
        finally:
            self._shared_in_use = False

    async def _drop_shared(self) -> None:
        shared, self._shared = self._shared, None
        if shared is not None:
            connection = shared.bind
            await shared.close()
            await connection.close()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def close(self) -> None:
        await self._drop_shared()
        if self._checkpointer is not None:
            await self._checkpointer.close()
        await self.engine.dispose()
