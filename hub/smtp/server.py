"""The SMTP ingress's protocol engine: aiosmtpd, listening in the node's own event loop.

The rules of the conversation, before the handler (:mod:`hub.smtp.handler`) is asked
anything: STARTTLS before any other command but EHLO/NOOP/QUIT (``530``); AUTH PLAIN
or LOGIN only over TLS (``538`` otherwise); MAIL, RCPT and DATA only once logged in
(``530 5.7.0``); at most ``smtp_max_bytes`` per mail, announced in EHLO as SIZE and
enforced on MAIL FROM's SIZE and on DATA (``552 5.3.4`` with the limit); five AUTH
attempts per connection.

aiosmtpd's ``Controller`` is not used: it runs the server in a thread with an event
loop of its own, while the handler needs the node's database and transport, which
belong to the node's loop. ``SmtpIngress`` starts the same ``SMTP`` protocol with
``loop.create_server`` in the running loop instead.

aiosmtpd's own logger (``mail.log``) logs every command at INFO and the mail's lines at
DEBUG: unless it has been given a level of its own, it is set to WARNING on start, so
that what users write stays out of the node's log.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from types import TracebackType
from typing import Any, AnyStr, Self

from aiosmtpd.smtp import SMTP, Session

from hub.config import Settings
from hub.node import Node
from hub.smtp.handler import IcommHandler
from hub.smtp.tls import ensure_certificate, server_context

log = logging.getLogger(__name__)

IDENT = "Icomm ESMTP"
AUTH_ATTEMPTS = 5
STOP_SECONDS = 5.0


class _Session(Session):
    """aiosmtpd's session without its deprecation warning on every successful AUTH."""

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class IcommSMTP(SMTP):
    """aiosmtpd's SMTP, with clear texts and enhanced status codes on its own refusals."""

    def __init__(
        self,
        handler: IcommHandler,
        *,
        on_lost: Callable[[IcommSMTP], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self._on_lost = on_lost
        limit = self.data_size_limit or 0
        too_big = (
            f"552 5.3.4 the mail is larger than this server takes: at most {limit} bytes "
            f"({limit / 2**20:.1f} MiB) as sent, attachments included"
        )
        self._rewrites = {
            "530 Must issue a STARTTLS command first": (
                "530 5.7.0 Must issue a STARTTLS command first (this server needs TLS)"
            ),
            "552 Error: message size exceeds fixed maximum message size": too_big,
            "552 Error: Too much mail data": too_big,
        }

    def _create_session(self) -> Session:
        return _Session(self.loop)

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str):
            status = self._rewrites.get(status, status)  # type: ignore[assignment]
        await super().push(status)

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        if self._on_lost is not None:
            self._on_lost(self)


class SmtpIngress:
    """One node's SMTP ingress, started and stopped with the node (a lifespan).

    ::

        ingress = SmtpIngress(node)          # settings: node.settings
        await ingress.start()                # listens on smtp_host:smtp_port
        ...
        await ingress.stop()

    or ``async with SmtpIngress(node) as ingress: ...``. ``reuse_port=True`` lets
    several processes of one node listen on the same port (Linux ``SO_REUSEPORT``).
    """

    def __init__(
        self,
        node: Node,
        settings: Settings | None = None,
        *,
        reuse_port: bool = False,
        handler: IcommHandler | None = None,
    ) -> None:
        self.node = node
        self.settings = settings or node.settings
        self.reuse_port = reuse_port
        self.handler = handler or IcommHandler(node)
        self._server: asyncio.Server | None = None
        self._tls: ssl.SSLContext | None = None
        self._connections: set[IcommSMTP] = set()

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose when ``smtp_port`` is 0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the SMTP ingress is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        if self._server is not None:
            return
        library_log = logging.getLogger("mail.log")  # aiosmtpd: every command at INFO,
        if library_log.level == logging.NOTSET:  # the mail's lines at DEBUG
            library_log.setLevel(logging.WARNING)
        files = await asyncio.to_thread(ensure_certificate, self.settings)
        self._tls = server_context(files)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol,
            host=self.settings.smtp_host,
            port=self.settings.smtp_port,
            reuse_port=self.reuse_port or None,
        )
        log.info(
            "SMTP ingress of %s (mail domain %s) on %s port %d: STARTTLS, AUTH PLAIN LOGIN, "
            "at most %d bytes per mail",
            self.node.id,
            self.settings.effective_mail_domain,
            self.settings.smtp_host,
            self.port,
            self.settings.smtp_max_bytes,
        )

    def _protocol(self) -> IcommSMTP:
        smtp = IcommSMTP(
            self.handler,
            on_lost=self._connections.discard,
            data_size_limit=self.settings.smtp_max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.settings.effective_mail_domain,
            ident=IDENT,
            tls_context=self._tls,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            command_call_limit={"AUTH": AUTH_ATTEMPTS, "*": 10_000},
            loop=asyncio.get_running_loop(),
        )
        self._connections.add(smtp)
        return smtp

    async def stop(self) -> None:
        """Stop listening and close every open connection (a mail not yet answered
        with 250 is not taken: the client sends it again later)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for smtp in list(self._connections):
            if smtp.transport is not None:
                smtp.transport.close()
        try:
            await asyncio.wait_for(server.wait_closed(), STOP_SECONDS)
        except TimeoutError:
            log.warning("SMTP ingress: connections still open after %s s", STOP_SECONDS)
        self._connections.clear()
        log.info("SMTP ingress of %s stopped", self.node.id)

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
