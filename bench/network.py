"""Nodes for a scenario: a temporary directory, a transport of their own, mutual trust.

A :class:`BenchNetwork` starts nodes that share one transport (a spool directory of its
own, or a broker prefix of its own, ``bench-<hex>``) and trust each other's keys, each on a
SQLite database in the run's temporary directory. Closing it closes the nodes, deletes the
prefix's exchanges and queues from the broker, and removes the directory: a run leaves
nothing behind. Nodes run in this process, on one event loop, or (``add_elsewhere``) each
in a child process of its own, as a partner's node runs on a machine of its own.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import aio_pika
from sqlalchemy import func, select

from bench.peer import Peer
from hub.accounts import Role
from hub.config import Settings
from hub.node import Node
from storage.models import Delivery

Transport = Literal["local", "amqp"]
PASSWORD = "bench password, not a secret"  # noqa: S105 (throwaway accounts in a temp dir)


def new_prefix() -> str:
    """A broker prefix (exchange and queue names) that no other run uses."""
    return f"bench-{uuid.uuid4().hex[:10]}"


async def delete_topology(url: str, prefix: str, nodes: list[str]) -> None:
    """Delete a prefix's queues and exchanges, each on a channel of its own (deleting a
    missing one may close the channel)."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        for node in nodes:
            for kind in ("in", "dead"):
                with contextlib.suppress(Exception):
                    async with connection.channel() as channel:
                        await channel.queue_delete(f"{prefix}.{node}.{kind}")
        for exchange in (prefix, f"{prefix}.dlx"):
            with contextlib.suppress(Exception):
                async with connection.channel() as channel:
                    await channel.exchange_delete(exchange)
    finally:
        await connection.close()


class BenchNetwork:
    def __init__(
        self,
        transport: Transport,
        *,
        amqp_url: str | None = None,
        work_dir: Path | None = None,
        bundle_size: int = Settings.model_fields["bundle_size"].default,
    ) -> None:
        if transport == "amqp" and amqp_url is None:
            raise ValueError("an amqp network needs the broker's URL")
        self.transport = transport
        self.amqp_url = amqp_url
        self.prefix = new_prefix()
        self.bundle_size = bundle_size
        self.root = Path(tempfile.mkdtemp(prefix="icomm-bench-", dir=work_dir))
        self.nodes: dict[str, Node] = {}
        self.peers: list[Peer] = []
        self.used: list[str] = []  # every node id opened, for the broker's clean-up

    def values(self, node_id: str) -> dict[str, Any]:
        """Every setting given explicitly (as JSON values, for a peer process too), so that
        no ``ICOMM_*`` variable leaks into a bench node."""
        data_dir = self.root / node_id
        return {
            "node": node_id,
            "data_dir": str(data_dir),
            "database_url": f"sqlite+aiosqlite:///{(data_dir / 'icomm.db').resolve()}",
            "spool_dir": str(self.root / "spool"),
            "bundle_size": self.bundle_size,
            "group_window_ms": Settings.model_fields["group_window_ms"].default,
            "amqp_url": self.amqp_url if self.transport == "amqp" else None,
            "amqp_prefix": self.prefix,
            "key_passphrase": None,
        }

    async def add(self, node_id: str, *, run: bool = True, people: tuple[str, ...] = ()) -> Node:
        """Open a node trusting (and trusted by) every node already added; add its people."""
        self.used.append(node_id)
        node = await Node(Settings(**self.values(node_id))).open()
        self.nodes[node_id] = node
        for other_id, other in self.nodes.items():
            if other_id != node_id:
                node.trust.import_jwks(other_id, other.keyring.public_jwks())
                other.trust.import_jwks(node_id, node.keyring.public_jwks())
        for username in people:
            await node.accounts.add(username, Role.OFFICER, PASSWORD)
        if run:
            node.run()
        return node

    async def add_elsewhere(
        self,
        node_id: str,
        *,
        people: tuple[str, ...] = (),
        attach: bool = False,
        watch: str | None = None,
    ) -> Peer:
        """A node set up as ``add`` does (keys, mutual trust, people), then run in a child
        process of its own: the partner's work on the machine's other core, as deployed.
        Add the nodes of this process first (they are trusted by then)."""
        node = await self.add(node_id, run=False, people=people)
        await node.close()
        del self.nodes[node_id]
        peer = Peer(self.values(node_id), attach=attach, watch=watch)
        self.peers.append(peer)
        await peer.start()
        return peer

    async def close(self) -> None:
        try:
            for peer in reversed(self.peers):
                await peer.stop()
            self.peers = []
            for node in reversed(list(self.nodes.values())):
                await node.close()
            self.nodes = {}
        finally:
            try:
                if self.transport == "amqp" and self.amqp_url is not None and self.used:
                    await delete_topology(self.amqp_url, self.prefix, self.used)
            finally:
                shutil.rmtree(self.root, ignore_errors=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def delivered(node: Node) -> int:
    """Recipients of this node's messages that receipts say were delivered."""
    query = select(func.count()).select_from(Delivery).where(Delivery.status == "delivered")
    async with node.db.session() as session:
        return int(await session.scalar(query) or 0)
