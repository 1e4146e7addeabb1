"""10,000 messages in flight while RabbitMQ's application is stopped and started again.

Two nodes on the amqp transport (SQLite each); ge submits 10,000 mails to am in
batches while both run; once am has received some but far from all, the broker's
application is stopped (``rabbitmqctl stop_app``) and started again. Nothing is lost
and nothing is twice in the mailbox: at-least-once on the wire, exactly once in the
mailbox, every mail receipted. Bounded: the test gives up after a few minutes.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from broker import TEST_AMQP_URL, amqp_prefix
from nodes import add_user

from hub.config import Settings
from hub.node import Node
from message_schemas import Mail

MESSAGES = 10_000
BATCH = 500
WITHIN = 300.0

pytestmark = pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl")


async def rabbitmqctl(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "-q",
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()


async def until(check, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WITHIN
    while not await check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.2)


async def test_broker_stopped_and_started_mid_stream_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    async with amqp_prefix() as prefix:
        await stream_through_a_broker_restart(tmp_path, prefix)


async def stream_through_a_broker_restart(tmp_path: Path, prefix: str) -> None:
    def settings(node: str) -> Settings:
        return Settings(
            node=node, data_dir=tmp_path / node, amqp_url=TEST_AMQP_URL, amqp_prefix=prefix
        )  # type: ignore[arg-type]

    ge, am = await Node(settings("ge")).open(), await Node(settings("am")).open()
    try:
        ge.trust.import_jwks("am", am.keyring.public_jwks())
        am.trust.import_jwks("ge", ge.keyring.public_jwks())
        await add_user(ge, "nino")
        await add_user(am, "armen")
        ge.run()
        am.run()

        async def inbox() -> int:
            async with am.db.transaction() as tx:
                return await tx.mailbox.count("armen")

        ids: set[str] = set()
        for start in range(0, MESSAGES, BATCH):
            batch = [
                Mail(sender="nino@ge", to=["armen@am"], subject=f"report {i}", body="x" * 200)
                for i in range(start, start + BATCH)
            ]
            ids |= {m.id for m in await ge.submit_many(batch)}
            if start == MESSAGES // 2:

                async def some_arrived() -> bool:
                    return await inbox() > 0

                await until(some_arrived, "the first mails to arrive")
                assert await inbox() < MESSAGES
                await rabbitmqctl("stop_app")
                try:
                    await asyncio.sleep(2)
                finally:  # the broker is back for whatever runs next, even if this fails
                    await rabbitmqctl("start_app")
                    await rabbitmqctl("await_startup")

        async def all_arrived() -> bool:
            return await inbox() >= MESSAGES

        await until(all_arrived, "every mail in armen's inbox")

        async def all_receipted() -> bool:
            async with ge.db.transaction() as tx:
                summary = await tx.deliveries.summary(list(ids))
            return summary.keys() == ids and all(c == {"delivered": 1} for c in summary.values())

        await until(all_receipted, "every receipt back at ge")
        assert await inbox() == MESSAGES
        async with am.db.transaction() as tx:
            stored = {
                item.message.id for item in await tx.mailbox.folder("armen", limit=2 * MESSAGES)
            }
        assert stored == ids
    finally:
        await ge.close()
        await am.close()
