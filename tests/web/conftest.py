"""Fixtures of the web tests: a node on the embedded default (no server needed) with an
admin (nino) and two officers (levan, tamar)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nodes import Network, add_user

from hub.accounts import Role
from hub.node import Node


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Network]:
    net = Network(tmp_path)
    try:
        yield net
    finally:
        await net.close()


@pytest.fixture
async def ge(network: Network) -> Node:
    node = await network.add("ge")
    await add_user(node, "nino", Role.ADMIN)
    await add_user(node, "levan")
    await add_user(node, "tamar")
    return node
