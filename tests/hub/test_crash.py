"""A node killed with SIGKILL while messages wait loses nothing and delivers nothing twice
(mail to a person's inbox; the CEN's seizures into the WCO's feed)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from nodes import PASSWORD

from adapters.attached import attach
from bench import fill
from hub.config import Settings
from hub.node import Node
from message_schemas import Mail
from storage.cases import CaseTables

MESSAGES = 400
ICOMM = [sys.executable, "-c", "from hub.cli import main; main()"]


def env_for(root: Path, node: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICOMM_")}
    env.update(
        ICOMM_NODE=node, ICOMM_DATA_DIR=str(root / node), ICOMM_SPOOL_DIR=str(root / "spool")
    )
    # several nodes on one machine: any free ports each
    env.update(ICOMM_SMTP_PORT="0", ICOMM_WEB_PORT="0")
    env.update(extra)
    return env


def icomm(root: Path, node: str, *args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(
        [*ICOMM, *args], env=env_for(root, node), input=stdin, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def serve(root: Path, node: str, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*ICOMM, "serve"], env=env_for(root, node, **extra), stderr=subprocess.DEVNULL
    )


def settings(root: Path, node: str) -> Settings:
    return Settings(node=node, data_dir=root / node, spool_dir=root / "spool")


async def queue_mails(root: Path) -> set[str]:
    async with Node(settings(root, "ge")) as ge:
        return {
            (
                await ge.submit(
                    Mail(sender="nino@ge", to=["armen@am"], subject=f"report {i}", body="x" * 500)
                )
            ).id
            for i in range(MESSAGES)
        }


async def backlog(root: Path) -> int:
    async with Node(settings(root, "ge")) as ge, ge.db.transaction() as tx:
        return sum((await tx.outbox.backlog()).values())


async def inbox(root: Path) -> list[str]:
    async with Node(settings(root, "am")) as am:
        return [i.message.id for i in await am.mailbox.folder("armen", limit=10 * MESSAGES)]


async def delivery_states(root: Path, ids: set[str]) -> list[str]:
    async with Node(settings(root, "ge")) as ge:
        return [d.status for mid in ids for d in await ge.mailbox.deliveries(mid)]


def wait_until(check, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def partners(root: Path, *nodes: str) -> None:
    """Keys for each node, each trusting the others'."""
    for node in nodes:
        icomm(root, node, "keys", "init")
    for node in nodes:
        for other in (n for n in nodes if n != node):
            icomm(
                root, node, "keys", "import", other, "-", stdin=icomm(root, other, "keys", "export")
            )


def finish(processes: tuple[subprocess.Popen[bytes], ...], *checks: Callable[[], bool]) -> None:
    """Wait for each check in turn, then stop the processes whatever happened."""
    try:
        for check in checks:
            wait_until(check)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_sigkill_while_outbox_holds_messages_delivers_each_exactly_once(tmp_path: Path) -> None:
    root = tmp_path
    partners(root, "ge", "am")
    icomm(root, "ge", "users", "add", "nino", "--password", PASSWORD)
    icomm(root, "am", "users", "add", "armen", "--password", PASSWORD)
    ids = asyncio.run(queue_mails(root))
    queue = root / "spool" / "am" / "new"

    # ge dispatches one message per envelope; killed once some, not all, have left
    sender = serve(root, "ge", ICOMM_BUNDLE_SIZE="1")
    wait_until(lambda: queue.is_dir() and len(os.listdir(queue)) >= 20)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    assert asyncio.run(backlog(root)) > 0, "the kill came too late to test anything"

    # am consumes; killed mid-stream too
    receiver = serve(root, "am")
    wait_until(lambda: len(os.listdir(queue)) < 15)
    receiver.send_signal(signal.SIGKILL)
    receiver.wait()

    # both restart and finish
    finish(
        (serve(root, "ge"), serve(root, "am")),
        lambda: asyncio.run(backlog(root)) == 0 and len(asyncio.run(inbox(root))) >= MESSAGES,
        lambda: set(asyncio.run(delivery_states(root, ids))) == {"delivered"},
    )
    delivered = asyncio.run(inbox(root))
    assert len(delivered) == MESSAGES
    assert set(delivered) == ids


SEIZURES = 300


async def transmit_seizures(root: Path) -> set[str]:
    """``ge``'s admin sends ``SEIZURES`` validated cases to the CEN (into ge's outbox)."""
    async with Node(settings(root, "ge")) as ge:
        link = (await attach(ge)).cen
        await fill.seizures(ge.db, "ge", SEIZURES, created_by="giorgi")
        return {sent.message_id for sent in await link.transmit("giorgi")}


async def feed(root: Path) -> list[tuple[str, int, int]]:
    async with Node(settings(root, "wco")) as wco, wco.db.unit(CaseTables) as tables:
        rows = await tables.feed.list(limit=10 * SEIZURES)
    return [(row.message_id, row.revision, row.superseded) for row in rows]


def test_sigkill_while_the_wco_files_the_cen_loses_no_seizure(tmp_path: Path) -> None:
    """The CEN intake files each seizure in the transaction that receives it: a WCO node
    killed mid-stream files the rest when it comes back, each seizure once."""
    root = tmp_path
    partners(root, "ge", "wco")
    icomm(root, "ge", "users", "add", "giorgi", "--role", "admin", "--password", PASSWORD)
    ids = asyncio.run(transmit_seizures(root))
    queue = root / "spool" / "wco" / "new"

    sender = serve(root, "ge", ICOMM_BUNDLE_SIZE="1")  # an envelope a seizure
    wait_until(lambda: queue.is_dir() and len(os.listdir(queue)) >= SEIZURES)
    receiver = serve(root, "wco")
    wait_until(lambda: len(os.listdir(queue)) < SEIZURES - 50)
    receiver.send_signal(signal.SIGKILL)
    receiver.wait()
    assert len(os.listdir(queue)) > 0, "the kill came too late to test anything"

    finish(
        (sender, serve(root, "wco")),
        lambda: len(asyncio.run(feed(root))) >= SEIZURES,
        lambda: set(asyncio.run(delivery_states(root, ids))) == {"delivered"},
    )
    filed = asyncio.run(feed(root))
    assert sorted(message_id for message_id, _, _ in filed) == sorted(ids)
    assert {(revision, superseded) for _, revision, superseded in filed} == {(1, 0)}
