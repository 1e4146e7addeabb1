"""PostgreSQL restarted while mail streams between two nodes: the hub recovers by itself.

Nothing is restarted but the database server: the engine's pre-ping replaces the
connections the restart killed, the dispatcher's loop retries what it could not
seal or mark sent, and the receiver's failures make the transport deliver the
envelope again (the local spool retries for 1+2+3+4 = 10 s before it dead-letters,
the amqp transport similarly), so a restart of a few seconds loses nothing and
duplicates nothing: every mail ends in the recipient's mailbox exactly once, and
every delivery is receipted.

The server is restarted with ``pg_ctlcluster``, so this runs only where the test
server is a cluster of this machine that we may restart (root or postgres); it is
started again (and waited for) whatever the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nodes import Network, PostgresDatabases, add_user
from sqlalchemy import select
from sqlalchemy.engine import URL

from hub.node import Node
from message_schemas import Mail
from storage.models import MailboxEntry

MAILS = 300
RESTART_AFTER = 100  # mails submitted before the server goes down
PACE = 0.01  # seconds between submissions: the stream spans the restart
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cluster:
    """A local cluster, as ``pg_ctlcluster`` names it, and where it listens."""

    version: str
    name: str
    host: str
    port: int

    async def ctl(self, action: str) -> tuple[int, str]:
        return await _run(
            "pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action, within=60
        )

    async def wait_ready(self, within: float = 60.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            code, _ = await _run("pg_isready", "-h", self.host, "-p", str(self.port), within=10)
            if code == 0:
                return True
            await asyncio.sleep(0.2)
        return False

    @contextlib.asynccontextmanager
    async def back_up_afterwards(self) -> AsyncIterator[None]:
        """Whatever happens in the block, the server is running (and answering) after it."""
        try:
            yield
        finally:
            if not await self.wait_ready(5):
                code, out = await self.ctl("start")
                log.warning("PostgreSQL was down after the test; started it: %s %s", code, out)
                assert await self.wait_ready(60), "PostgreSQL did not come back within 60 s"


def local_cluster(url: URL) -> Cluster | None:
    """The cluster of this machine serving ``url``, if this user may restart it."""
    if url.host not in {"127.0.0.1", "localhost", "::1"}:
        return None
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_isready") is None:
        return None
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        return None
    versions = sorted(Path("/etc/postgresql").glob("*/*/postgresql.conf"))
    port = str(url.port or 5432)
    for conf in versions:
        if any(
            line.split("=", 1)[1].split("#", 1)[0].strip() == port
            for line in conf.read_text().splitlines()
            if line.strip().startswith("port") and "=" in line
        ):
            return Cluster(conf.parent.parent.name, conf.parent.name, url.host or "", int(port))
    return None


async def _run(*command: str, within: float) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        return -1, f"{' '.join(command)}: no answer within {within} s"
    return process.returncode or 0, out.decode(errors="replace")


async def _submit_surely(node: Node, mail: Mail, within: float = 60.0) -> None:
    """Submit once even while the database is away: after a failure, look before retrying
    (the commit may have happened with only its answer lost)."""
    deadline = time.monotonic() + within
    try:
        await node.submit(mail)
        return
    except Exception as exc:
        log.info("submit of %s failed, retrying: %r", mail.id, exc)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        try:
            async with node.db.transaction() as tx:
                if await tx.mailbox.copies(mail.id):
                    return
            await node.submit(mail)
            return
        except Exception as exc:
            log.info("submit of %s failed again, retrying: %r", mail.id, exc)
    pytest.fail(f"mail {mail.id} could not be submitted within {within} s")


async def _inbox_ids(node: Node, owner: str) -> list[str]:
    async with node.db.transaction() as tx:
        query = select(MailboxEntry.message_id).where(
            MailboxEntry.owner == owner, MailboxEntry.folder == "inbox"
        )
        return list((await tx.session.scalars(query)).all())


async def _bounded(check: object, within: float, what: str) -> None:
    """Like ``eventually``, but a check that raises (the server still away) is a 'not yet'."""
    deadline = time.monotonic() + within
    last: object = None
    while time.monotonic() < deadline:
        try:
            if await check():  # type: ignore[operator]
                return
        except Exception as exc:
            last = exc
        await asyncio.sleep(0.2)
    pytest.fail(f"{what} not reached within {within} s (last error: {last!r})")


@pytest.fixture
async def cluster(postgres_databases: PostgresDatabases) -> Cluster:
    found = local_cluster(postgres_databases.server)
    if found is None:
        pytest.skip("the test PostgreSQL server is no local cluster this user may restart")
    return found


@pytest.mark.parametrize("backend", ["local-postgresql", "amqp-postgresql"], indirect=True)
async def test_postgres_restart_mid_stream_loses_and_duplicates_nothing(
    network: Network, cluster: Cluster
) -> None:
    ge, am = await network.add("ge"), await network.add("am")
    await add_user(ge, "nino")
    await add_user(am, "armen")
    mails = [
        Mail(sender="nino@ge", to=["armen@am"], subject=f"report {i}", body="x" * 500)
        for i in range(MAILS)
    ]
    halfway = asyncio.Event()

    async def stream() -> None:
        for i, mail in enumerate(mails):
            if i == RESTART_AFTER:
                halfway.set()
            await _submit_surely(ge, mail)
            await asyncio.sleep(PACE)

    async with cluster.back_up_afterwards():
        sender = asyncio.create_task(stream())
        try:
            await asyncio.wait_for(halfway.wait(), 60)
            code, out = await cluster.ctl("restart")
            assert code == 0, f"pg_ctlcluster restart failed: {out}"
            await asyncio.wait_for(sender, 120)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    sent = {mail.id for mail in mails}

    async def all_arrived() -> bool:
        dead = await am.transport.dead_letters(am.id)
        if dead:  # lost to the dead letters: waiting longer changes nothing
            pytest.fail(f"{len(dead)} envelope(s) dead-lettered at am, first: {dead[0].error}")
        return len(await _inbox_ids(am, "armen")) >= MAILS

    await _bounded(all_arrived, 90, f"{MAILS} mails in armen's inbox")
    arrived = await _inbox_ids(am, "armen")
    assert len(arrived) == MAILS and set(arrived) == sent  # each exactly once

    async def all_receipted() -> bool:
        summary = await ge.mailbox.delivery_summary(list(sent))
        return len(summary) == MAILS and all(s == {"delivered": 1} for s in summary.values())

    await _bounded(all_receipted, 90, "a delivered receipt for every mail")
    for node in (ge, am):
        assert await node.transport.dead_letters(node.id) == []
    async with ge.db.transaction() as tx:
        assert await tx.outbox.backlog() == {}
