"""The SMTP ingress: users send from an ordinary mail client to ``someone@<mail domain>``.

``SmtpIngress(node)`` listens on ``smtp_host:smtp_port`` (``ICOMM_SMTP_HOST``, default
127.0.0.1; ``ICOMM_SMTP_PORT``, default 2525), requires STARTTLS (certificate from
``ICOMM_SMTP_CERT_FILE``/``ICOMM_SMTP_KEY_FILE``, else a self-signed one in
``<data dir>/smtp``), then AUTH PLAIN or LOGIN with the user's own password. An
accepted mail becomes an Icomm ``mail`` from the user, submitted to the node like any
other message. See :mod:`hub.smtp.addresses` for how mail domains map onto nodes.
"""

from hub.smtp.addresses import MailDomains
from hub.smtp.handler import IcommHandler
from hub.smtp.server import SmtpIngress
from hub.smtp.tls import ensure_certificate

__all__ = ["IcommHandler", "MailDomains", "SmtpIngress", "ensure_certificate"]
