"""The SMTP ingress, spoken to by a real client (smtplib) over STARTTLS + AUTH.

Embedded default only (SQLite and the local spool): the nodes need no server. Each
client conversation runs in a thread, so the node's event loop keeps serving it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import smtplib
import ssl
import stat
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import TypeVar

import pytest
from nodes import PASSWORD, Network, add_user, eventually

from hub.config import Settings
from hub.node import Node
from hub.smtp import SmtpIngress, ensure_certificate
from hub.smtp.mime import parse_mail
from message_schemas import Mail

T = TypeVar("T")

PHOTO = bytes(range(256)) * 400  # 102.4 kB of every byte value
GEORGIAN_SUBJECT = "ამოღება სარფში — 200 ბლოკი სიგარეტი"
GEORGIAN_FILENAME = "ფოტო სარფი.bin"


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[Network]:
    """Nodes on the embedded default only: this file needs no database or broker server."""
    net = Network(tmp_path)
    try:
        yield net
    finally:
        await net.close()


async def smtp_node(network: Network, node_id: str, **overrides: object) -> Node:
    node = await network.add(node_id, smtp_port=0, **overrides)
    for name in ("nino", "levan", "tamar"):
        await add_user(node, name)
    return node


async def talk(port: int, cafile: Path, conversation: Callable[[smtplib.SMTP], T]) -> T:
    """Run ``conversation`` on a client connected to localhost:port, after STARTTLS."""

    def run() -> T:
        with smtplib.SMTP("localhost", port, timeout=20) as client:
            client.starttls(context=ssl.create_default_context(cafile=cafile))
            return conversation(client)

    return await asyncio.to_thread(run)


def cafile(node: Node) -> Path:
    return node.settings.data_dir / "smtp" / "cert.pem"


def report(sender: str, to: str, **headers: str) -> EmailMessage:
    """A multipart mail as a mail client writes it: text, HTML, a binary attachment."""
    message = EmailMessage()
    message["From"] = f"Nino Beridze <{sender}>"
    message["To"] = to
    message["Subject"] = GEORGIAN_SUBJECT
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Seizure at Sarpi.\nსურათი თან ერთვის.")
    message.add_alternative("<p>Seizure at <b>Sarpi</b>.</p>", subtype="html")
    message.add_attachment(
        PHOTO, maintype="application", subtype="octet-stream", filename=GEORGIAN_FILENAME
    )
    return message


def send(client: smtplib.SMTP, sender: str, to: list[str], message: EmailMessage) -> str:
    """MAIL, RCPT, DATA step by step; the final reply's text."""
    assert client.mail(sender)[0] == 250
    for address in to:
        code, text = client.rcpt(address)
        assert code == 250, text
    code, text = client.data(message.as_bytes(policy=SMTP))
    assert code == 250, text
    return text.decode()


async def test_mail_with_attachment_over_starttls_and_auth_plain_reaches_the_inbox(
    network: Network,
) -> None:
    ge = await smtp_node(network, "ge")
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> str:
            client.login("nino", PASSWORD)  # PLAIN: the first the server offers that smtplib likes
            message = report("nino@ge.icomm.example", "levan@ge.icomm.example")
            return send(client, "nino@ge.icomm.example", ["levan@ge.icomm.example"], message)

        reply = await talk(ingress.port, cafile(ge), conversation)
    assert reply.startswith("2.0.0 queued as ")
    message_id = reply.removeprefix("2.0.0 queued as ")
    [item] = await ge.mailbox.folder("levan")
    assert item.message.id == message_id
    opened = await ge.mailbox.open("levan", message_id)
    mail = opened.message
    assert isinstance(mail, Mail)
    assert mail.sender == "nino@ge" and mail.to == ["levan@ge"]
    assert mail.subject == GEORGIAN_SUBJECT
    assert mail.body.startswith("Seizure at Sarpi.\nსურათი თან ერთვის.")
    assert mail.body_html is not None and "<b>Sarpi</b>" in mail.body_html
    [attachment] = mail.attachments
    assert attachment.filename == GEORGIAN_FILENAME
    assert attachment.content == PHOTO and attachment.size == len(PHOTO)
    assert [i.message.id for i in await ge.mailbox.folder("nino", "sent")] == [message_id]


async def test_auth_needs_starttls_and_mail_needs_auth(network: Network) -> None:
    ge = await smtp_node(network, "ge")
    async with SmtpIngress(ge) as ingress:

        def in_clear() -> tuple[bool, int, int]:
            with smtplib.SMTP("localhost", ingress.port, timeout=20) as client:
                client.ehlo()
                offers_auth = client.has_extn("auth")
                plain = base64.b64encode(f"\0nino\0{PASSWORD}".encode()).decode()
                auth_code, _ = client.docmd("AUTH", f"PLAIN {plain}")
                mail_code, _ = client.mail("nino@ge.icomm.example")
                return offers_auth, auth_code, mail_code

        offers_auth, auth_code, mail_code = await asyncio.to_thread(in_clear)
        assert not offers_auth
        assert auth_code in (530, 538)
        assert mail_code == 530

        def tls_without_auth(client: smtplib.SMTP) -> tuple[bool, tuple[int, bytes]]:
            client.ehlo()
            return client.has_extn("auth"), client.mail("nino@ge.icomm.example")

        offers_auth, (code, text) = await talk(ingress.port, cafile(ge), tls_without_auth)
    assert offers_auth
    assert code == 530 and b"Authentication required" in text


async def test_a_wrong_password_or_a_deactivated_user_gets_535(network: Network) -> None:
    ge = await smtp_node(network, "ge")
    await ge.accounts.deactivate("tamar")
    async with SmtpIngress(ge) as ingress:
        for user, password in [("nino", "not the password at all"), ("tamar", PASSWORD)]:

            def conversation(client: smtplib.SMTP, user: str = user, pw: str = password) -> None:
                client.login(user, pw)

            with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
                await talk(ingress.port, cafile(ge), conversation)
            assert refused.value.smtp_code == 535


async def test_the_envelope_sender_must_be_the_logged_in_user(network: Network) -> None:
    ge = await smtp_node(network, "ge")
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> list[tuple[int, bytes]]:
            client.login("nino", PASSWORD)
            replies = [client.mail("levan@ge.icomm.example")]
            client.rset()
            replies.append(client.mail("nino@example.org"))
            return replies

        replies = await talk(ingress.port, cafile(ge), conversation)
    for code, text in replies:
        assert code == 553
        assert b"logged in as nino" in text and b"<nino@ge.icomm.example>" in text


async def test_unknown_deactivated_and_foreign_recipients_are_refused_with_550(
    network: Network,
) -> None:
    ge = await smtp_node(network, "ge")
    await ge.accounts.deactivate("tamar")
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> dict[str, tuple[int, bytes]]:
            client.login("nino", PASSWORD)
            client.mail("nino@ge.icomm.example")
            return {
                address: client.rcpt(address)
                for address in (
                    "nobody@ge.icomm.example",
                    "tamar@ge.icomm.example",
                    "someone@example.org",
                    "olena@ua.icomm.example",
                )
            }

        replies = await talk(ingress.port, cafile(ge), conversation)
    assert replies["nobody@ge.icomm.example"] == (
        550,
        b"5.1.1 <nobody@ge.icomm.example>: no such user here",
    )
    code, text = replies["tamar@ge.icomm.example"]
    assert code == 550 and b"5.2.1" in text and b"mailbox disabled" in text
    code, text = replies["someone@example.org"]
    assert code == 550 and b"relaying denied" in text
    code, text = replies["olena@ua.icomm.example"]
    assert code == 550 and b"ua is not a partner node of ge" in text


async def test_mail_to_a_partner_nodes_user_arrives_there(network: Network) -> None:
    ge = await smtp_node(network, "ge")
    am = await network.add("am")
    await add_user(am, "armen")
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> str:
            client.login("nino", PASSWORD)
            message = report("nino@ge.icomm.example", "Armen <armen@am.icomm.example>")
            return send(client, "nino@ge.icomm.example", ["armen@am.icomm.example"], message)

        reply = await talk(ingress.port, cafile(ge), conversation)
    message_id = reply.removeprefix("2.0.0 queued as ")

    async def arrived() -> bool:
        return bool(await am.mailbox.folder("armen"))

    await eventually(arrived)
    opened = await am.mailbox.open("armen", message_id)
    assert isinstance(opened.message, Mail) and opened.origin == "remote"
    assert opened.message.sender == "nino@ge"
    assert opened.message.attachments[0].content == PHOTO


async def test_a_mail_over_the_size_limit_gets_552(network: Network) -> None:
    ge = await smtp_node(network, "ge", smtp_max_bytes=64 * 1024)
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> tuple[int, bytes, int, bytes]:
            client.login("nino", PASSWORD)
            message = report("nino@ge.icomm.example", "levan@ge.icomm.example")
            with pytest.raises(smtplib.SMTPSenderRefused) as announced:  # SIZE= on MAIL FROM
                client.send_message(message)
            client.rset()
            client.mail("nino@ge.icomm.example")  # no SIZE: found out during DATA
            client.rcpt("levan@ge.icomm.example")
            code, text = client.data(message.as_bytes(policy=SMTP))
            return announced.value.smtp_code, announced.value.smtp_error, code, text

        size_code, size_text, data_code, data_text = await talk(
            ingress.port, cafile(ge), conversation
        )
    for code, text in [(size_code, size_text), (data_code, data_text)]:
        assert code == 552
        assert b"5.3.4" in text and b"at most 65536 bytes" in text
    assert await ge.mailbox.folder("levan") == []


async def test_a_mail_over_the_nodes_message_limit_gets_552(network: Network) -> None:
    ge = await smtp_node(network, "ge", max_message_bytes=2**16)
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> tuple[int, bytes]:
            client.login("nino", PASSWORD)
            client.mail("nino@ge.icomm.example")
            client.rcpt("levan@ge.icomm.example")
            message = report("nino@ge.icomm.example", "levan@ge.icomm.example")
            return client.data(message.as_bytes(policy=SMTP))

        code, text = await talk(ingress.port, cafile(ge), conversation)
    assert code == 552 and b"ICOMM_MAX_MESSAGE_BYTES" in text
    assert await ge.mailbox.folder("levan") == []


async def test_auth_login_works_too_also_with_the_full_address(network: Network) -> None:
    ge = await smtp_node(network, "ge")
    async with SmtpIngress(ge) as ingress:
        for login, inline in [("nino", True), ("nino@ge.icomm.example", False)]:

            def conversation(
                client: smtplib.SMTP, login: str = login, inline: bool = inline
            ) -> tuple[int, bytes]:
                client.ehlo()
                client.user, client.password = login, PASSWORD
                return client.auth("LOGIN", client.auth_login, initial_response_ok=inline)

            code, _ = await talk(ingress.port, cafile(ge), conversation)
            assert code == 235

        def plain_after_challenge(client: smtplib.SMTP) -> tuple[int, bytes]:
            client.ehlo()
            client.user, client.password = "levan", PASSWORD
            return client.auth("PLAIN", client.auth_plain, initial_response_ok=False)

        code, _ = await talk(ingress.port, cafile(ge), plain_after_challenge)
    assert code == 235


async def test_bcc_recipients_get_copies_of_their_own(network: Network) -> None:
    ge = await smtp_node(network, "ge")
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> str:
            client.login("nino", PASSWORD)
            message = report("nino@ge.icomm.example", "levan@ge.icomm.example")
            to = ["levan@ge.icomm.example", "tamar@ge.icomm.example"]  # tamar: Bcc
            return send(client, "nino@ge.icomm.example", to, message)

        reply = await talk(ingress.port, cafile(ge), conversation)
    assert len(reply.removeprefix("2.0.0 queued as ").split()) == 2
    [to_levan] = await ge.mailbox.folder("levan")
    [to_tamar] = await ge.mailbox.folder("tamar")
    assert to_levan.message.recipients == ["levan@ge"]
    assert to_tamar.message.recipients == ["tamar@ge"]
    assert to_levan.message.thread_id == to_tamar.message.thread_id


async def test_a_reply_joins_the_thread_of_the_mail_it_answers(network: Network) -> None:
    ge = await smtp_node(network, "ge")
    original = await ge.submit(Mail(sender="levan@ge", to=["nino@ge"], subject="Q", body="?"))
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> str:
            client.login("nino", PASSWORD)
            message = report(
                "nino@ge.icomm.example",
                "levan@ge.icomm.example",
                In_Reply_To=f"<{original.id}@ge.icomm.example>",
            )
            return send(client, "nino@ge.icomm.example", ["levan@ge.icomm.example"], message)

        reply = await talk(ingress.port, cafile(ge), conversation)
    opened = await ge.mailbox.open("levan", reply.removeprefix("2.0.0 queued as "))
    assert isinstance(opened.message, Mail)
    assert opened.message.in_reply_to == original.id
    assert opened.message.thread_id == original.id


async def test_the_self_signed_certificate_is_made_once_with_a_private_key(
    network: Network,
) -> None:
    ge = await smtp_node(network, "ge")
    cert, key = cafile(ge), cafile(ge).with_name("key.pem")
    async with SmtpIngress(ge):
        pass
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    first = cert.read_bytes(), key.read_bytes()
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> int:
            return client.login("nino", PASSWORD)[0]

        assert await talk(ingress.port, cafile(ge), conversation) == 235
    assert (cert.read_bytes(), key.read_bytes()) == first


async def test_a_configured_certificate_is_used(network: Network, tmp_path: Path) -> None:
    elsewhere = ensure_certificate(Settings(node="ge", data_dir=tmp_path / "ca"))
    ge = await smtp_node(network, "ge", smtp_cert_file=elsewhere.cert, smtp_key_file=elsewhere.key)
    async with SmtpIngress(ge) as ingress:

        def conversation(client: smtplib.SMTP) -> int:
            return client.login("nino", PASSWORD)[0]

        assert await talk(ingress.port, elsewhere.cert, conversation) == 235
    assert not cafile(ge).exists()


async def test_stop_closes_open_connections(network: Network) -> None:
    ge = await smtp_node(network, "ge")
    ingress = SmtpIngress(ge)
    await ingress.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", ingress.port)
    assert (await reader.readline()).startswith(b"220 ge.icomm.example ")
    await asyncio.wait_for(ingress.stop(), 10)
    assert await asyncio.wait_for(reader.read(), 10) == b""
    writer.close()


def test_html_only_mail_and_unsafe_file_names_are_read_sensibly() -> None:
    message = EmailMessage()
    message["Subject"] = "=?utf-8?b?4YOQ4YOb4YOd4YOm4YOU4YOR4YOQ?="
    message.set_content("<p>Hello</p><p>Sarpi &amp; Batumi</p><script>x()</script>", "html")
    message.add_attachment(b"a,b\n", maintype="text", subtype="csv", filename="../../etc/cases.csv")
    parsed = parse_mail(message.as_bytes(policy=SMTP))
    assert parsed.subject == "ამოღება"
    assert parsed.body == "Hello\n\nSarpi & Batumi"
    assert [a.filename for a in parsed.attachments] == ["cases.csv"]
