"""Email notices: a user is told that Icomm mail waits, through a real SMTP relay, never
with the mail's contents; read mail and users without an address get none."""

from __future__ import annotations

import email
import socket
from collections.abc import AsyncIterator, Iterator
from email.message import Message
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from nodes import LOCAL_SQLITE, Network, add_user, eventually

from hub.errors import HubError
from hub.node import Node
from message_schemas import Mail


class Relay:
    """An SMTP server standing in for the administration's relay: keeps what it gets."""

    def __init__(self) -> None:
        self.received: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler, port = Relay(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
async def ge(relay: tuple[Relay, int], tmp_path: Path) -> AsyncIterator[Node]:
    network = Network(tmp_path, LOCAL_SQLITE)
    try:
        node = await network.add(
            "ge", run=False, notify_smtp_url=f"smtp://127.0.0.1:{relay[1]}"
        )  # each test runs it when its scene is set
        for user in ("nino", "levan", "tamar"):
            await add_user(node, user)
        yield node
    finally:
        await network.close()


def mail(subject: str, to: str = "levan@ge") -> Mail:
    return Mail(sender="nino@ge", to=[to], subject=subject, body="the driver's name is Levan")


async def test_a_user_is_told_new_mail_waits_without_its_contents(
    ge: Node, relay: tuple[Relay, int]
) -> None:
    handler, _ = relay
    await ge.accounts.set_notice_address("levan", "levan@customs.example")
    ge.run()
    await ge.submit(mail("Seizure at Sarpi"))

    async def told() -> bool:
        return len(handler.received) == 1

    await eventually(told)
    [notice] = handler.received
    assert notice["To"] == "levan@customs.example"
    assert notice["Subject"] == "New message in Icomm"
    text = notice.get_content()
    assert "1 new message waits" in text and "node ge" in text
    assert "Sarpi" not in notice.as_string() and "Levan" not in text


async def test_nothing_is_announced_twice_and_read_mail_is_not_announced(
    ge: Node, relay: tuple[Relay, int]
) -> None:
    handler, _ = relay
    await ge.accounts.set_notice_address("levan", "levan@customs.example")
    await ge.submit(mail("one"))
    read = await ge.submit(mail("two"))
    await ge.mailbox.open("levan", read.id)
    await ge.submit(mail("three"))
    ge.run()

    async def all_told() -> bool:
        async with ge.db.transaction() as tx:
            return await tx.notifications.unannounced() == []

    await eventually(all_told)
    assert [n.get_content().split()[0] for n in handler.received] == ["2"]  # one and three
    await ge.submit(mail("four"))
    await ge.submit(mail("to tamar, who has no notice address", to="tamar@ge"))

    async def told_again() -> bool:
        return len(handler.received) == 2

    await eventually(told_again)
    await eventually(all_told)
    assert "1 new message waits" in handler.received[1].get_content()
    assert len(handler.received) == 2


async def test_a_notice_address_and_a_language_are_checked(ge: Node) -> None:
    with pytest.raises(HubError, match="not an email address"):
        await ge.accounts.set_notice_address("levan", "levan at customs")
    with pytest.raises(HubError, match="choose one of en, ka, ru"):
        await ge.accounts.set_language("levan", "fr")
    account = await ge.accounts.set_language("levan", "ka")
    assert account.language == "ka"


@pytest.mark.parametrize(
    ("language", "subject", "waiting", "never"),
    [
        (
            "ka",
            "ახალი შეტყობინება Icomm-ში",
            "Icomm-ში (კვანძი ge) თქვენ გელოდებათ 2 ახალი შეტყობინება.",
            "წასაკითხად გახსენით Icomm",
        ),
        (
            "ru",
            "Новые сообщения в Icomm",
            "В Icomm (узел ge) вас ждут 2 новых сообщения.",
            "Откройте Icomm, чтобы прочитать почту",
        ),
    ],
)
async def test_notices_speak_the_users_language(
    ge: Node, relay: tuple[Relay, int], language: str, subject: str, waiting: str, never: str
) -> None:
    """The subject and the text come from the catalogues, in the recipient's language and
    with its plural forms (Russian: 1 сообщение, 2 сообщения, 5 сообщений)."""
    handler, _ = relay
    await ge.accounts.set_notice_address("levan", "levan@customs.example")
    await ge.accounts.set_language("levan", language)
    await ge.submit(mail("ერთი"))
    await ge.submit(mail("два"))
    ge.run()

    async def told() -> bool:
        return len(handler.received) == 1

    await eventually(told)
    [notice] = handler.received
    assert notice["Subject"] == subject
    text = notice.get_content()
    assert text.startswith(waiting) and never in text
    assert "message" not in text and "ერთი" not in text and "два" not in text
