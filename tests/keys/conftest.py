"""Nodes with keyrings and trust stores on disk, for the keys tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from keys import NodeKeyring, TrustStore


@dataclass
class Node:
    keyring: NodeKeyring
    trust: TrustStore


NodeFactory = Callable[[str], Node]


@pytest.fixture
def make_node(tmp_path: Path) -> NodeFactory:
    """A new node with its own keyring and an empty trust store."""

    def make(name: str) -> Node:
        key_dir = tmp_path / name / "keys"
        return Node(NodeKeyring.create(key_dir, name), TrustStore.open(key_dir / "trust.json"))

    return make


def _introduce(*nodes: Node) -> None:
    for node in nodes:
        for other in nodes:
            if other is not node:
                node.trust.import_jwks(other.keyring.node, other.keyring.public_jwks())


@pytest.fixture
def introduce() -> Callable[..., None]:
    """Make every given node trust every other one's public keys."""
    return _introduce


@pytest.fixture
def ge_am(make_node: NodeFactory) -> tuple[Node, Node]:
    """Two nodes, 'ge' and 'am', that trust each other."""
    ge, am = make_node("ge"), make_node("am")
    _introduce(ge, am)
    return ge, am
