"""``icomm serve --workers N``: one node in N processes; a worker killed is replaced, nothing lost.

am runs as ``icomm serve --workers 3``; ge runs in this process and mails am. One of
am's workers is killed with SIGKILL mid-stream: the parent starts a new one, and every
message still arrives exactly once, with its receipt back at ge. Twice: on the embedded
default (SQLite, the local spool shared with ge) and on RabbitMQ with a PostgreSQL
database per node, where every worker also dispatches.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from broker import TEST_AMQP_URL, amqp_prefix

from hub.config import Settings
from hub.node import Node
from message_schemas import Mail

DatabaseFactory = Callable[[str], Awaitable[str]]  # tests/conftest.py's postgres_databases
MESSAGES = 300
WORKERS = 3
ICOMM = [sys.executable, "-c", "from hub.cli import main; main()"]
PASSWORD = "correct horse battery staple"


@dataclass
class Backend:
    """Where the two nodes keep their rows and how their envelopes travel."""

    root: Path
    databases: dict[str, str] = field(default_factory=dict)  # node → PostgreSQL URL
    amqp_prefix: str | None = None

    def env(self, node: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ICOMM_")}
        env.update(ICOMM_NODE=node, ICOMM_DATA_DIR=str(self.root / node))
        env.update(
            ICOMM_SPOOL_DIR=str(self.root / "spool"), ICOMM_SMTP_PORT="0", ICOMM_WEB_PORT="0"
        )
        if node in self.databases:
            env["ICOMM_DATABASE_URL"] = self.databases[node]
        if self.amqp_prefix is not None:
            env.update(ICOMM_AMQP_URL=TEST_AMQP_URL, ICOMM_AMQP_PREFIX=self.amqp_prefix)
        return env

    def settings(self, node: str) -> Settings:
        values: dict[str, object] = {"spool_dir": self.root / "spool", "bundle_size": 4}
        if node in self.databases:
            values["database_url"] = self.databases[node]
        if self.amqp_prefix is not None:
            values.update(amqp_url=TEST_AMQP_URL, amqp_prefix=self.amqp_prefix)
        return Settings(node=node, data_dir=self.root / node, **values)  # type: ignore[arg-type]

    def icomm(self, node: str, *args: str, stdin: bytes | None = None) -> bytes:
        done = subprocess.run(
            [*ICOMM, *args], env=self.env(node), input=stdin, capture_output=True, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout


@pytest.fixture(params=["local-sqlite", "amqp-postgresql"])
def databases(request: pytest.FixtureRequest) -> DatabaseFactory | None:
    """The PostgreSQL factory on the amqp-postgresql leg (the other needs no server)."""
    if request.param == "local-sqlite":
        return None
    return request.getfixturevalue("postgres_databases")  # type: ignore[no-any-return]


@pytest.fixture
async def backend(databases: DatabaseFactory | None, tmp_path: Path) -> AsyncIterator[Backend]:
    if databases is None:
        yield Backend(tmp_path)
        return
    async with amqp_prefix() as prefix:
        yield Backend(tmp_path, {node: await databases(node) for node in ("ge", "am")}, prefix)


def workers_of(parent: int) -> set[int]:
    """The parent's worker processes (not multiprocessing's resource tracker)."""
    children: set[int] = set()
    for task in Path(f"/proc/{parent}/task").iterdir():
        children |= {int(pid) for pid in (task / "children").read_text().split()}
    workers = set()
    for pid in children:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline:
            workers.add(pid)
    return workers


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


async def until(check: Callable[[], bool], what: str, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


async def inbox(backend: Backend) -> list[str]:
    async with Node(backend.settings("am")) as am:
        return [i.message.id for i in await am.mailbox.folder("armen", limit=10 * MESSAGES)]


async def test_a_killed_worker_is_replaced_and_each_message_arrives_once(
    backend: Backend,
) -> None:
    root, icomm = backend.root, backend.icomm
    for node in ("ge", "am"):
        icomm(node, "keys", "init")
    icomm("am", "keys", "import", "ge", "-", stdin=icomm("ge", "keys", "export"))
    icomm("ge", "keys", "import", "am", "-", stdin=icomm("am", "keys", "export"))
    icomm("ge", "users", "add", "nino", "--password", PASSWORD)
    icomm("am", "users", "add", "armen", "--password", PASSWORD)

    log_file = root / "am.log"
    with log_file.open("wb") as log_out:
        am = await asyncio.create_subprocess_exec(
            *ICOMM, "serve", "--workers", str(WORKERS),
            env=backend.env("am"), stdout=subprocess.DEVNULL, stderr=log_out,
        )  # fmt: skip
    last: set[int] = set()
    try:
        await until(lambda: len(workers_of(am.pid)) == WORKERS, "all workers up")
        first = workers_of(am.pid)

        async with Node(backend.settings("ge")) as ge:
            # all queued first, then let go at once: the kill lands mid-stream
            mails = [
                Mail(sender="nino@ge", to=["armen@am"], subject=f"report {i}", body="x")
                for i in range(MESSAGES)
            ]
            ids = {mail.id for mail in await ge.submit_many(mails)}
            ge.run()
            # some, not all, are in: kill the worker with the lowest pid (the first started);
            # one reader watches am's inbox (opening a node per look let the stream finish)
            victim = min(first)
            async with Node(backend.settings("am")) as reader:
                deadline = time.monotonic() + 120
                while len(await reader.mailbox.folder("armen", limit=10)) < 10:
                    assert time.monotonic() < deadline, "nothing arrived at am"
                    await asyncio.sleep(0.01)
                os.kill(victim, signal.SIGKILL)
                in_inbox = len(await reader.mailbox.folder("armen", limit=10 * MESSAGES))
            assert in_inbox < MESSAGES, "the kill came too late to test anything"

            await until(
                lambda: len(workers_of(am.pid)) == WORKERS and victim not in workers_of(am.pid),
                "the parent restarted the killed worker",
            )
            assert am.returncode is None, "the parent is still running"

            async def all_delivered() -> bool:
                states = {
                    d.status for mid in ids for d in await ge.mailbox.deliveries(mid)
                }  # receipts back from am, whichever worker stored the message
                return states == {"delivered"}

            deadline = time.monotonic() + 120
            while not await all_delivered():
                assert time.monotonic() < deadline, "not every receipt came back"
                await asyncio.sleep(0.1)
            last = workers_of(am.pid)
    finally:
        am.send_signal(signal.SIGTERM)
        await asyncio.wait_for(am.wait(), 60)

    log = log_file.read_text()
    assert am.returncode == 0, log
    assert all(gone(pid) for pid in last), "the workers stopped with the parent"
    assert f"(pid {victim}) died with exit code -9" in log and "restarted" in log
    delivered = await inbox(backend)
    assert len(delivered) == MESSAGES, "each message once in the mailbox"
    assert set(delivered) == ids
