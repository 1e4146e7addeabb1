"""Notices by ordinary email: "a new Icomm message is waiting", never its contents.

With ``ICOMM_NOTIFY_SMTP_URL`` set, a user who has a notice address (``icomm users
notify USER EMAIL``) gets one short email when new unread mail reaches their inbox: how
many messages wait and at which node, nothing of their sender, subject or body. One
notice covers everything that arrived since the last one; mail read in the meantime
is not announced. A relay that is away is retried; nothing is announced twice. A notice
is in its recipient's language (:mod:`hub.locales`).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from hub.config import Settings
from hub.locales import translator
from hub.loop import PokedLoop
from storage import Database
from storage.notifications import Unannounced

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0
RETRY_SECONDS = 60.0
TIMEOUT = 30.0


class Relay:
    """The outbound SMTP relay of a URL ``smtp://[user:password@]host[:port]`` (or smtps)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("ICOMM_NOTIFY_SMTP_URL must look like smtp://[user:pass@]host[:port]")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    def send(self, message: EmailMessage) -> None:
        """Blocking: run it in a thread."""
        context = ssl.create_default_context()
        smtp_class = smtplib.SMTP_SSL if self.implicit_tls else smtplib.SMTP
        kwargs = {"context": context} if self.implicit_tls else {}
        with smtp_class(self.host, self.port, timeout=TIMEOUT, **kwargs) as client:
            client.ehlo()
            if not self.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if self.user is not None:
                client.login(self.user, self.password or "")
            client.send_message(message)


class Notifier(PokedLoop):
    """Tells users by email that mail is waiting (poked when mail reaches an inbox)."""

    def __init__(self, settings: Settings, db: Database, relay_url: str) -> None:
        super().__init__()
        self.relay = Relay(relay_url)
        self.node = settings.node
        self.sender = settings.notify_from or f"icomm@{settings.effective_mail_domain}"
        self.db = db

    async def turn(self) -> float:
        try:
            async with self.db.transaction() as tx:
                waiting = await tx.notifications.unannounced()
            for item in waiting:
                await asyncio.to_thread(self.relay.send, self.notice(item))
                async with self.db.transaction() as tx:
                    await tx.notifications.mark(item.owner, item.last_entry_id)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("cannot send notices through %s: %s; will retry", self.relay.host, exc)
            return RETRY_SECONDS
        except Exception:
            log.exception("notices failed; will retry")
            return RETRY_SECONDS
        return POLL_SECONDS

    def notice(self, item: Unannounced) -> EmailMessage:
        say, count = translator(item.language), item.count
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = item.email
        message["Subject"] = say.ngettext("New message in Icomm", "New messages in Icomm", count)
        message["Auto-Submitted"] = "auto-generated"
        body = say.ngettext(
            "%(num)s new message waits for you in Icomm at node %(node)s.",
            "%(num)s new messages wait for you in Icomm at node %(node)s.",
            count,
            node=self.node,
        )
        never = say.ngettext(
            "Open Icomm to read it: this notice never contains the message itself.",
            "Open Icomm to read them: this notice never contains the messages themselves.",
            count,
        )
        message.set_content(f"{body}\n{never}\n")
        return message
