"""Fixtures for the hub's behaviour tests.

``network`` runs every test that uses it on each backend of the matrix:

* ``local-sqlite``: the embedded default, the spool and one SQLite file per node;
* ``local-postgresql``: the spool, and a fresh PostgreSQL database per node;
* ``amqp-postgresql``: RabbitMQ under a prefix of the test's own, and a fresh
  PostgreSQL database per node.

The PostgreSQL server is ``ICOMM_TEST_POSTGRES_URL``, the broker ``ICOMM_TEST_AMQP_URL``
(default ``amqp://guest:guest@127.0.0.1:5672/``); a leg whose server is not reachable
is skipped, with the reason in the summary.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from broker import TEST_AMQP_URL, amqp_prefix
from nodes import Backend, Network, PostgresDatabases

BACKENDS = [
    pytest.param("local-sqlite", id="local-sqlite"),
    pytest.param("local-postgresql", id="local-postgresql"),
    pytest.param("amqp-postgresql", id="amqp-postgresql"),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return Backend.parse(request.param)


@pytest.fixture
async def network(
    backend: Backend, databases: PostgresDatabases | None, tmp_path: Path
) -> AsyncIterator[Network]:
    async with contextlib.AsyncExitStack() as stack:
        prefix = None
        if backend.transport == "amqp":
            prefix = await stack.enter_async_context(amqp_prefix())
        net = Network(
            tmp_path, backend, databases=databases, amqp_url=TEST_AMQP_URL, amqp_prefix=prefix
        )
        try:
            yield net
        finally:
            await net.close()
