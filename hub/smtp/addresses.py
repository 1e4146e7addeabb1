"""Mail addresses over SMTP, and the Icomm addresses they stand for.

The rule: a node's mail domain is ``ICOMM_MAIL_DOMAIN`` (default
``<node>.icomm.example``). When it is ``<node>.<suffix>`` — as in
``ge.icomm.example`` — a partner node ``am`` is written ``<local>@am.<suffix>``::

    nino.beridze@ge.icomm.example   ->  nino.beridze@ge     (this node: ge.icomm.example)
    armen@am.icomm.example          ->  armen@am            (a partner in the trust store)

A mail domain that does not start with ``<node>.`` (say ``customs.example``) maps onto
this node only: partners are then not reachable over SMTP. Domains are compared
without case; local parts are lower-cased, as Icomm addresses are.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.config import NODE_ID, Settings
from message_schemas import SchemaError, parse_address


class Refused(Exception):
    """An SMTP command refused: ``reply`` is the whole reply line, code first."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class MailDomains:
    """This node's mail domain, and the domains of its partners derived from it."""

    node: str
    domain: str

    @classmethod
    def of(cls, settings: Settings) -> MailDomains:
        return cls(settings.node, settings.effective_mail_domain)

    @property
    def suffix(self) -> str | None:
        """What follows ``<node>.`` in this node's domain (None: partners not mapped)."""
        head = f"{self.node}."
        if self.domain.startswith(head) and len(self.domain) > len(head):
            return self.domain[len(head) :]
        return None

    def node_of_domain(self, domain: str) -> str | None:
        """The node a mail domain stands for, or None if it is none of this network's."""
        domain = domain.strip().lower().rstrip(".")
        if domain == self.domain:
            return self.node
        suffix = self.suffix
        if suffix and domain.endswith(f".{suffix}"):
            label = domain[: -len(suffix) - 1]
            if NODE_ID.fullmatch(label):
                return label
        return None

    def to_icomm(self, mail_address: str) -> str:
        """The Icomm address of ``local@<a node's mail domain>``, or :class:`Refused`."""
        local, at, domain = mail_address.strip().rpartition("@")
        if not at or not local:
            raise Refused(f"553 5.1.3 <{mail_address}>: not an address of the form local@domain")
        node = self.node_of_domain(domain)
        if node is None:
            partners = f" or a partner's (<node>.{self.suffix})" if self.suffix else ""
            raise Refused(
                f"550 5.7.1 <{mail_address}>: relaying denied: this server takes mail for "
                f"its own domain {self.domain}{partners} only"
            )
        try:
            parsed_local, parsed_node = parse_address(f"{local}@{node}")
        except SchemaError:
            raise Refused(
                f"553 5.1.3 <{mail_address}>: {local!r} is not a mailbox name here "
                "(1-64 of a-z 0-9 . _ -)"
            ) from None
        return f"{parsed_local}@{parsed_node}"

    def sender(self, mail_address: str, username: str) -> str:
        """The Icomm address of an envelope sender, which must be the authenticated user."""
        expected = f"{username}@{self.domain}"
        local, _, domain = mail_address.strip().rpartition("@")
        if local.lower() != username or domain.lower().rstrip(".") != self.domain:
            raise Refused(
                f"553 5.7.1 <{mail_address}>: you are logged in as {username}: "
                f"send from your own address <{expected}>"
            )
        return f"{username}@{self.node}"
