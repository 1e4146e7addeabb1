"""Running a command against a node: open it, act, close it, with errors made clear."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hub.cli.options import fail
from hub.config import Settings
from hub.errors import HubError
from hub.node import Node
from keys import KeysError
from message_schemas import SchemaError
from storage import StorageError

T = TypeVar("T")

CLEAR_ERRORS = (HubError, KeysError, SchemaError, StorageError, ValueError)


def with_node(settings: Settings, action: Callable[[Node], Awaitable[T]]) -> T:
    """Open the node, run ``action``, close it; a known error exits 1 with its text."""

    async def run() -> T:
        async with Node(settings) as node:
            return await action(node)

    try:
        return asyncio.run(run())
    except CLEAR_ERRORS as exc:
        raise fail(str(exc)) from exc
