"""``icomm status`` and ``icomm dead-letters``: what an operator sees, and the exit codes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.accounts import Role
from hub.cli import app
from hub.config import Settings
from hub.node import Node
from hub.transports import Delivery, LocalTransport
from message_schemas import Mail

pytestmark = pytest.mark.usefixtures("clean_env")
runner = CliRunner()
PASSWORD = "correct horse battery staple"


def icomm(root: Path, node: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        [*args, "--data-dir", str(root / node)],
        env={"ICOMM_NODE": node, "ICOMM_SPOOL_DIR": str(root / "spool")},
    )
    return result.exit_code, result.stdout, result.stderr


def settings(root: Path, node: str) -> Settings:
    return Settings(node=node, data_dir=root / node, spool_dir=root / "spool")


async def until(check, within: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"not met within {within} s: {check.__name__}"
        await asyncio.sleep(0.02)


async def linked(root: Path, *ids: str) -> list[Node]:
    """Nodes on one spool, each trusting the others, with a user 'officer' each."""
    nodes = [await Node(settings(root, node_id)).open() for node_id in ids]
    for node in nodes:
        await node.accounts.add("officer", Role.OFFICER, PASSWORD)
        for other in nodes:
            if other is not node:
                node.trust.import_jwks(other.id, other.keyring.public_jwks())
    return nodes


async def exchange(root: Path) -> str:
    """ge mails am (both running: the receipt comes back) and ua (never running)."""
    ge, am, ua = await linked(root, "ge", "am", "ua")
    try:
        await ua.close()
        ge.run()
        am.run()
        answered = await ge.submit(
            Mail(sender="officer@ge", to=["officer@am"], subject="a", body="x")
        )
        await ge.submit(Mail(sender="officer@ge", to=["officer@ua"], subject="b", body="x"))

        async def receipt_back() -> bool:
            return [d.status for d in await ge.mailbox.deliveries(answered.id)] == ["delivered"]

        await until(receipt_back)
        return answered.id
    finally:
        await am.close()
        await ge.close()


def test_status_shows_partners_answering_and_flags_the_silent_one(tmp_path: Path) -> None:
    asyncio.run(exchange(tmp_path))

    code, out, err = icomm(tmp_path, "ge", "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["node"] == "ge" and status["transport"] == "local"
    assert status["dead_letters"] == 0 and status["attention"] == []
    partners = {p["node"]: p for p in status["partners"]}
    assert set(partners) == {"am", "ua"}
    assert partners["am"]["last_receipt"] is not None and partners["am"]["pending"] == 0
    assert partners["ua"]["never_answered"] and partners["ua"]["pending"] == 1
    assert not partners["ua"]["not_answering"]  # sent just now: within 15 minutes
    assert status["outbox_backlog"] == {}  # both published (ua's waits in ua's queue)

    # any pending delivery is too old with a threshold of zero: ua is not answering
    code, out, _ = icomm(tmp_path, "ge", "status", "--stale-after", "0")
    assert code == 3
    assert "ua is not answering" in out and "1 message(s) without a receipt" in out
    rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("│")}
    assert "ok" in rows["am"] and "not answering" in rows["ua"]

    code, out, _ = icomm(tmp_path, "ge", "status")
    assert code == 0 and "all well" in out and "never answered" in out


def test_a_node_with_no_partners_is_well(tmp_path: Path) -> None:
    code, out, err = icomm(tmp_path, "ge", "status")
    assert code == 0, err
    assert "no partner nodes" in out and "all well" in out


async def dead_letter(root: Path) -> None:
    """An envelope that fails its only attempt is dead-lettered by the transport."""
    transport = LocalTransport(root / "spool", max_attempts=1)
    await transport.connect()
    await transport.publish("ge", "0123456789abcdef", b"not an envelope")

    async def refuse(delivery: Delivery) -> None:
        raise RuntimeError("database unavailable")

    consumer = asyncio.create_task(transport.consume("ge", refuse))
    try:

        async def dead() -> bool:
            return bool(await transport.dead_letters("ge"))

        await until(dead)
    finally:
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer


def test_dead_letters_are_listed_flagged_and_requeued(tmp_path: Path) -> None:
    assert icomm(tmp_path, "ge", "dead-letters", "list") == (0, "no dead letters\n", "")
    asyncio.run(dead_letter(tmp_path))

    code, out, _ = icomm(tmp_path, "ge", "dead-letters", "list")
    assert code == 0
    assert "0123456789abcdef" in out and "RuntimeError: database unavailable" in out
    assert "15" in out  # bytes
    [letter_id] = [word for word in out.split() if "0123456789abcdef" in word]

    code, out, _ = icomm(tmp_path, "ge", "status", "--json")
    assert code == 3
    assert json.loads(out)["dead_letters"] == 1
    assert "dead letter" in json.loads(out)["attention"][0]

    code, _, err = icomm(tmp_path, "ge", "dead-letters", "retry", "no-such-letter")
    assert code == 1 and "no dead letter 'no-such-letter' for node ge" in err
    code, _, err = icomm(tmp_path, "ge", "dead-letters", "retry")
    assert code == 2 and "either one dead letter ID or --all" in err

    code, out, _ = icomm(tmp_path, "ge", "dead-letters", "retry", letter_id)
    assert code == 0 and f"requeued {letter_id}" in out
    code, out, _ = icomm(tmp_path, "ge", "status", "--json")
    assert code == 0
    assert json.loads(out)["queue_depth"] == 1 and json.loads(out)["dead_letters"] == 0


def test_retry_all_requeues_every_dead_letter(tmp_path: Path) -> None:
    asyncio.run(dead_letter(tmp_path))
    code, out, _ = icomm(tmp_path, "ge", "dead-letters", "retry", "--all")
    assert code == 0 and out.count("requeued") == 1
    assert icomm(tmp_path, "ge", "dead-letters", "retry", "--all")[1] == "no dead letters\n"
