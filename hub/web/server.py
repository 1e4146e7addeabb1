"""Serving the web app with uvicorn inside the node's own event loop.

::

    async with WebServer(node) as web:          # listening once this returns
        print(f"web app on {web.url}")
        await stop.wait()                       # leaving: stops accepting, ends gracefully

The server listens on ``ICOMM_WEB_HOST:ICOMM_WEB_PORT`` (port 0: any free port, see
``.port``). It binds the socket itself, so a port in use is a clear :class:`HubError`
at start, and it leaves signal handling to the caller (``icomm serve``) instead of
installing uvicorn's own. Uvicorn's access log is off: password-setting links carry
their token in the path, and such a log would keep them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self

import uvicorn

from hub.errors import HubError
from hub.web.app import create_app

if TYPE_CHECKING:
    from hub.node import Node

log = logging.getLogger(__name__)
STOP_SECONDS = 10.0


class _EmbeddedServer(uvicorn.Server):
    """Uvicorn without its signal handlers: the process that embeds it owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # uvicorn >= 0.29
        yield

    def install_signal_handlers(self) -> None:  # older uvicorn
        pass


class WebServer:
    """The web app of an open node, served until the ``async with`` block ends."""

    def __init__(self, node: Node, *, host: str | None = None, port: int | None = None) -> None:
        self.node = node
        self.host = host if host is not None else node.settings.web_host
        self.requested_port = port if port is not None else node.settings.web_port
        self.port = self.requested_port
        self._socket: socket.socket | None = None
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.node.settings.web_secure_cookies else "http"
        return f"{scheme}://{host}:{self.port}/"

    async def start(self) -> None:
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            self._socket = socket.create_server((self.host, self.requested_port), family=family)
        except OSError as exc:
            raise HubError(
                f"the web app cannot listen on {self.host}:{self.requested_port}: {exc.strerror} "
                "(set ICOMM_WEB_HOST / ICOMM_WEB_PORT)"
            ) from exc
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.node),
            lifespan="off",  # the node is opened and closed by its owner
            log_config=None,  # keep the process's logging as it is
            access_log=False,
            server_header=False,
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(
            self._server.serve(sockets=[self._socket]), name=f"{self.node.id}-web"
        )
        while not self._server.started:
            if self._task.done():
                self._task.result()  # its exception, if it died starting
                raise HubError("the web app stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            try:
                await asyncio.wait_for(asyncio.shield(self._task), STOP_SECONDS)
            except TimeoutError:
                log.warning("the web app did not stop within %s s; cancelling it", STOP_SECONDS)
                self._server.force_exit = True
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._socket is not None:
            self._socket.close()
        self._server = self._task = self._socket = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
