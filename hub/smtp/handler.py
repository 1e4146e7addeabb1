"""What the SMTP ingress means: who may send, to whom, and the mail it becomes.

aiosmtpd calls this handler's hooks (see :mod:`hub.smtp.server` for the protocol rules
that come before them: STARTTLS first, then AUTH, then MAIL):

* ``auth_PLAIN`` / ``auth_LOGIN`` check the user's own password (the argon2 check runs
  in a thread, off the event loop). The login is the user name, or the user's address
  at this node's mail domain. A failure answers ``535`` after a short delay.
* ``handle_MAIL``: the envelope sender must be the logged-in user's address.
* ``handle_RCPT``: a recipient at this node must be an active user, the postmaster, or
  a group with an active member (``550 5.1.1 … no such user here``,
  ``550 5.2.1 … mailbox disabled``); one at a partner node (see
  :mod:`hub.smtp.addresses`) must be in the trust store; anything else is relaying,
  refused.
* ``handle_DATA`` reads the MIME mail (:mod:`hub.smtp.mime`) into an Icomm ``mail``
  from ``<user>@<node>`` and submits it like any other message: it is then sealed and
  routed by the hub. Recipients named in neither ``To`` nor ``Cc`` (``Bcc``) each get
  a copy of their own, so no recipient sees them. ``250 2.0.0 queued as <id>``.

Passwords are never logged; only the user name and the outcome are.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session, TLSSetupException
from pydantic import ValidationError

from hub.accounts import USERNAME
from hub.errors import AddressError, HubError, PermissionDenied
from hub.node import Node
from hub.router import POSTMASTER
from hub.smtp.addresses import MailDomains, Refused
from hub.smtp.mime import ParsedMail, parse_mail
from message_schemas import Mail, dump_message, parse_address

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 100
FAILURE_DELAY = 1.0  # seconds before answering a failed AUTH: slows down guessing
TEMPORARY_FAILURE = "451 4.3.0 the node could not take the mail just now; try again later"


class IcommHandler:
    """aiosmtpd handler of one node's SMTP ingress."""

    def __init__(
        self,
        node: Node,
        *,
        max_recipients: int = MAX_RECIPIENTS,
        failure_delay: float = FAILURE_DELAY,
    ) -> None:
        self.node = node
        self.domains = MailDomains.of(node.settings)
        self.max_recipients = max_recipients
        self.failure_delay = failure_delay

    # -- AUTH (RFC 4954; aiosmtpd refuses it before STARTTLS) --------------------------

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        """RFC 4616: ``[authzid] NUL authcid NUL password``, inline or after a 334."""
        if len(args) > 1:
            response = await _decode_base64(server, args[1])
        else:
            response = await server.challenge_auth("")
        if not isinstance(response, bytes):
            return AuthResult(success=False, handled=True)  # aiosmtpd has answered 501
        parts = response.split(b"\x00")
        if len(parts) != 3 or (parts[0] and parts[0] != parts[1]):
            await server.push("501 5.5.2 AUTH PLAIN expects [authzid] NUL user NUL password")
            return AuthResult(success=False, handled=True)
        return await self._authenticate(server, parts[1], parts[2])

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        """The LOGIN mechanism: user name (inline or after a 334), then password."""
        if len(args) > 1:
            login = await _decode_base64(server, args[1])
        else:
            login = await server.challenge_auth(SMTP.AuthLoginUsernameChallenge)
        if not isinstance(login, bytes):
            return AuthResult(success=False, handled=True)
        password = await server.challenge_auth(SMTP.AuthLoginPasswordChallenge)
        if not isinstance(password, bytes):
            return AuthResult(success=False, handled=True)
        return await self._authenticate(server, login, password)

    async def _authenticate(self, server: SMTP, login: bytes, password: bytes) -> AuthResult:
        username = self._username(login)
        if username is not None and await self._password_matches(username, password):
            log.info("SMTP: %s logged in from %s", username, _peer(server))
            return AuthResult(success=True, auth_data=username)
        log.info("SMTP: failed login as %r from %s", login[:80], _peer(server))
        await asyncio.sleep(self.failure_delay)
        return AuthResult(success=False, handled=False)  # 535 5.7.8 credentials invalid

    def _username(self, login: bytes) -> str | None:
        """``nino`` or ``nino@<this node's mail domain>`` -> ``nino``."""
        try:
            text = login.decode("utf-8").strip().lower()
        except UnicodeDecodeError:
            return None
        local, at, domain = text.rpartition("@")
        if at:
            if self.domains.node_of_domain(domain) != self.node.id:
                return None
            text = local
        return text if USERNAME.match(text) else None

    async def _password_matches(self, username: str, password: bytes) -> bool:
        try:
            text = password.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return await self.node.accounts.authenticate(username, text) is not None

    # -- the envelope ------------------------------------------------------------------

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        username = session.auth_data
        if not session.authenticated or not isinstance(username, str):
            return "530 5.7.0 Authentication required: log in (AUTH) first"
        try:
            self.domains.sender(address, username)
        except Refused as refused:
            return refused.reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return f"452 4.5.3 Too many recipients: at most {self.max_recipients} per mail"
        try:
            await self._check_recipient(address, self.domains.to_icomm(address))
        except Refused as refused:
            return refused.reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Recipient OK"

    async def _check_recipient(self, address: str, icomm_address: str) -> None:
        local, node = parse_address(icomm_address)
        if node != self.node.id:
            if node not in set(self.node.trust.nodes()):
                raise Refused(
                    f"550 5.1.2 <{address}>: {node} is not a partner node of {self.node.id} "
                    "(its keys are not in the trust store)"
                )
            return  # the partner answers for its users: a failure comes back as a notice
        if local == POSTMASTER:
            return
        async with self.node.db.transaction() as tx:
            user = await tx.users.find(local)
            if user is not None:
                if user.role == "service":
                    raise Refused(f"550 5.1.1 <{address}>: a service mailbox, not for mail")
                if not user.active:
                    raise Refused(f"550 5.2.1 <{address}>: mailbox disabled (account deactivated)")
                return
            if await tx.users.find_group(local) is not None:
                if not any(member.active for member in await tx.users.members(local)):
                    raise Refused(f"550 5.2.1 <{address}>: the group has no active member")
                return
        raise Refused(f"550 5.1.1 <{address}>: no such user here")

    # -- the mail ----------------------------------------------------------------------

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        username = session.auth_data
        if not isinstance(username, str):
            return "530 5.7.0 Authentication required: log in (AUTH) first"
        raw = envelope.original_content or b""
        try:
            parsed = await asyncio.to_thread(parse_mail, raw)  # up to smtp_max_bytes: off the loop
        except Exception as exc:  # the email package is lenient; this is a last resort
            log.warning("SMTP: unreadable mail from %s: %s", username, exc)
            return "554 5.6.0 the mail could not be read as MIME (RFC 5322/2045)"
        try:
            mails = await self._mails(username, envelope.rcpt_tos, parsed)
        except ValidationError as exc:
            problems = "; ".join(error["msg"] for error in exc.errors()[:3])
            return f"554 5.6.0 the mail cannot become an Icomm message: {problems}"
        size, limit = len(dump_message(mails[0])), self.node.settings.max_message_bytes
        if size > limit:
            return (
                f"552 5.3.4 the mail is {size / 2**20:.1f} MiB as an Icomm message; this node "
                f"takes at most {limit / 2**20:.1f} MiB (ICOMM_MAX_MESSAGE_BYTES)"
            )
        try:
            await self.node.submit_many(mails)
        except PermissionDenied as exc:
            return f"550 5.7.1 {exc}"
        except AddressError as exc:
            return f"550 5.1.1 {exc}"
        except HubError as exc:
            return f"554 5.6.0 {exc}"
        ids = [mail.id for mail in mails]
        log.info(
            "SMTP: mail %s from %s to %d recipient(s), %d attachment(s)",
            " ".join(ids),
            username,
            len(envelope.rcpt_tos),
            len(parsed.attachments),
        )
        return f"250 2.0.0 queued as {' '.join(ids)}"

    async def _mails(self, username: str, rcpt_tos: list[str], parsed: ParsedMail) -> list[Mail]:
        """One mail to the recipients in To/Cc, and one of its own for each Bcc recipient."""
        recipients = list(dict.fromkeys(self.domains.to_icomm(a) for a in rcpt_tos))
        named = set()
        for address in parsed.header_recipients:
            try:
                named.add(self.domains.to_icomm(address))
            except Refused:
                continue
        visible = [r for r in recipients if r in named]
        groups = ([visible] if visible else []) + [[r] for r in recipients if r not in named]
        in_reply_to, thread_id = await self._thread(username, parsed.in_reply_to)
        mails: list[Mail] = []
        for to in groups:
            mails.append(
                Mail(
                    sender=f"{username}@{self.node.id}",
                    to=to,
                    subject=parsed.subject,
                    body=parsed.body,
                    body_html=parsed.body_html,
                    attachments=parsed.attachments,
                    in_reply_to=in_reply_to,
                    thread_id=thread_id or (mails[0].id if mails else None),
                )
            )
        return mails

    async def _thread(self, username: str, message_id: str | None) -> tuple[str | None, str | None]:
        """(in_reply_to, thread_id) of a reply to a message in the user's own mailbox."""
        if message_id is None:
            return None, None
        async with self.node.db.transaction() as tx:
            if not any(owner == username for owner, _ in await tx.mailbox.copies(message_id)):
                return None, None
            row = await tx.mailbox.get(message_id)
        return message_id, row.thread_id or message_id

    async def handle_exception(self, error: Exception) -> str:
        """An unexpected failure (the database away …): a temporary reply, the client retries."""
        if isinstance(error, TLSSetupException):  # the client gave up the handshake
            log.info("SMTP: TLS handshake failed: %s", error.__cause__ or error)
            return "554 5.7.0 TLS handshake failed"
        log.error("SMTP: could not handle a command", exc_info=error)
        return TEMPORARY_FAILURE


async def _decode_base64(server: SMTP, text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        await server.push("501 5.5.2 Can't decode base64")
        return None


def _peer(server: SMTP) -> str:
    peer = server.session.peer if server.session is not None else None
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)
