"""End to end in headless Chromium against a node run by ``icomm serve``: signing in,
writing a mail with an attachment, reading it, replying, a mail that came in over SMTP,
and an administrator deactivating a user. Every step leaves a screenshot (tests/browser.py).

One node and one browser serve the whole module; each person has a browser context of
their own (their own cookies), as on separate computers.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from browser import (
    Screenshots,
    ServedNode,
    User,
    chromium,
    needs_chromium,
    served_node,
    sign_in,
)
from nodes import PASSWORD
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    expect,
)

from hub.accounts import Role

pytestmark = needs_chromium

USERS = [
    User("nino", "Nino Beridze", Role.ADMIN),
    User("levan", "Levan Kapanadze"),
    User("tamar", "Tamar Gelashvili"),
    User("giorgi", "Giorgi Tsiklauri"),
]
PHOTO = bytes(range(256)) * 300  # every byte value: a download must be byte for byte
GEORGIAN_FILENAME = "ფოტო სარფი.bin"
STEP_MS = 10_000  # no single step of a person's takes longer
DELIVERY_SECONDS = 15.0


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    with served_node(tmp_path_factory.mktemp("served"), USERS) as served:
        yield served


@pytest.fixture(scope="module")
def chrome() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


class People:
    """Opens a browser context (a person at their own computer) per name, and notes what
    no page may show: a 5xx, a stylesheet that did not load, an error in the console
    (a Content-Security-Policy violation, say)."""

    def __init__(self, browser: Browser, node: ServedNode) -> None:
        self.browser = browser
        self.node = node
        self.contexts: list[BrowserContext] = []
        self.problems: list[str] = []

    def page(self) -> Page:
        context = self.browser.new_context(base_url=self.node.url, accept_downloads=True)
        context.set_default_timeout(STEP_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("response", self._check_response)
        page.on("console", self._check_console)
        return page

    def _check_response(self, response: Response) -> None:
        static = "/static/" in response.url
        if response.status >= 500 or (static and response.status != 200):
            self.problems.append(f"{response.status} for {response.url}")

    def _check_console(self, message: ConsoleMessage) -> None:
        # a page answered with a 4xx on purpose (a wrong password: 400) is no problem; the
        # responses that are, _check_response notes
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def signed_in(self, username: str) -> Page:
        page = self.page()
        sign_in(page, username)
        expect(page).to_have_url(f"{self.node.url}/mail/inbox")
        return page


@pytest.fixture
def people(chrome: Browser, node: ServedNode) -> Iterator[People]:
    opened = People(chrome, node)
    yield opened
    for context in opened.contexts:
        context.close()
    assert not opened.problems, opened.problems


def wait_in_inbox(page: Page, subject: str) -> Locator:
    """The inbox row of the mail with ``subject``, reloading until it has arrived."""
    row = page.locator("table.messages tbody tr").filter(has_text=subject)
    page.goto("/mail/inbox")
    for _ in range(int(DELIVERY_SECONDS / 0.25)):
        if row.count():
            return row
        page.wait_for_timeout(250)
        page.reload()
    pytest.fail(f"{subject!r} did not reach the inbox within {DELIVERY_SECONDS} s")


def download_bytes(page: Page, link: Locator) -> tuple[str, bytes]:
    """Click a download link; the file's suggested name and its content."""
    with page.expect_download() as started:
        link.click()
    download = started.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_an_administrator_signs_in_after_a_wrong_password(people: People) -> None:
    shots = Screenshots("login")
    page = people.page()
    page.goto("/")
    expect(page).to_have_url(f"{people.node.url}/login")
    expect(page.get_by_role("heading", name="Sign in to Icomm")).to_be_visible()
    shots.take(page, "sign-in-form")

    sign_in(page, "nino", "not the password at all")
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    shots.take(page, "wrong-password")

    sign_in(page, "nino")
    expect(page).to_have_url(f"{people.node.url}/mail/inbox")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.locator("header.top .who")).to_have_text("Nino Beridze")
    expect(page.get_by_role("navigation").get_by_role("link", name="Users")).to_be_visible()
    [cookie] = page.context.cookies()
    assert cookie["name"] == "icomm_session"
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    shots.take(page, "signed-in-inbox")


def test_an_officer_sends_a_file_the_other_reads_and_replies_and_the_reply_arrives(
    people: People,
) -> None:
    shots = Screenshots("mail")
    levan = people.signed_in("levan")
    levan.get_by_role("link", name="Compose").click()
    levan.get_by_label("To").fill("tamar")
    levan.get_by_label("Subject").fill("Seizure at Sarpi: photo")
    levan.get_by_label("Message").fill("200 blocks of cigarettes. The photo is attached.")
    levan.get_by_label("Attachments").set_input_files(
        {"name": GEORGIAN_FILENAME, "mimeType": "application/octet-stream", "buffer": PHOTO}
    )
    levan.get_by_label("Handling code").select_option("H2")
    shots.take(levan, "a-writes-with-attachment")
    levan.get_by_role("button", name="Send").click()
    expect(levan.get_by_role("status")).to_have_text("Your message was sent.")
    expect(levan.get_by_role("heading", name="Seizure at Sarpi: photo")).to_be_visible()
    shots.take(levan, "a-sent")

    tamar = people.signed_in("tamar")
    row = wait_in_inbox(tamar, "Seizure at Sarpi: photo")
    expect(row).to_have_class("unread")
    expect(row.locator(".who")).to_have_text("Levan Kapanadze")
    expect(row.locator(".clip")).to_contain_text("1 attachment")
    shots.take(tamar, "b-inbox-unread")
    row.get_by_role("link").click()
    expect(tamar.locator(".body")).to_have_text("200 blocks of cigarettes. The photo is attached.")
    expect(tamar.locator("dl.headers")).to_contain_text("H2")
    link = tamar.get_by_role("link", name=GEORGIAN_FILENAME)
    expect(link).to_be_visible()
    shots.take(tamar, "b-reads-attachment-present")
    assert download_bytes(tamar, link) == (GEORGIAN_FILENAME, PHOTO)

    tamar.get_by_role("link", name="Reply", exact=True).click()
    expect(tamar.get_by_role("heading", name="Reply")).to_be_visible()
    expect(tamar.get_by_label("To")).to_have_value("levan@ge")
    expect(tamar.get_by_label("Subject")).to_have_value("Re: Seizure at Sarpi: photo")
    message = tamar.get_by_label("Message")
    message.fill("Received, thank you. Opening a case.\n\n" + message.input_value())
    shots.take(tamar, "b-writes-reply")
    tamar.get_by_role("button", name="Send").click()
    expect(tamar.get_by_role("status")).to_have_text("Your message was sent.")
    shots.take(tamar, "b-reply-sent")

    reply = wait_in_inbox(levan, "Re: Seizure at Sarpi: photo")
    expect(reply.locator(".who")).to_have_text("Tamar Gelashvili")
    shots.take(levan, "a-inbox-has-reply")
    reply.get_by_role("link").click()
    expect(levan.locator(".body")).to_contain_text("Received, thank you. Opening a case.")
    thread = levan.locator("ol.thread li")
    expect(thread).to_have_count(2)
    expect(thread.first).to_contain_text("Seizure at Sarpi: photo")
    shots.take(levan, "a-reads-reply-in-conversation")


def test_a_mail_sent_over_smtp_with_starttls_and_auth_reaches_the_web_inbox_intact(
    people: People,
) -> None:
    shots = Screenshots("smtp")
    node = people.node
    mail = EmailMessage()
    mail["From"] = "Levan Kapanadze <levan@ge.icomm.example>"
    mail["To"] = "tamar@ge.icomm.example"
    mail["Subject"] = "From the mail client: Sarpi photo"
    mail.set_content("Sent with an ordinary mail client.")
    mail.add_attachment(
        PHOTO, maintype="application", subtype="octet-stream", filename=GEORGIAN_FILENAME
    )
    tls = ssl.create_default_context(cafile=node.smtp_cafile)
    with smtplib.SMTP("localhost", node.smtp_port, timeout=20) as client:
        client.starttls(context=tls)
        client.login("levan", PASSWORD)
        refused = client.send_message(mail)
    assert refused == {}

    tamar = people.signed_in("tamar")
    row = wait_in_inbox(tamar, "From the mail client: Sarpi photo")
    expect(row.locator(".who")).to_have_text("Levan Kapanadze")
    shots.take(tamar, "inbox-has-smtp-mail")
    row.get_by_role("link").click()
    expect(tamar.locator(".body")).to_contain_text("Sent with an ordinary mail client.")
    link = tamar.get_by_role("link", name=GEORGIAN_FILENAME)
    shots.take(tamar, "reads-smtp-mail")
    assert download_bytes(tamar, link) == (GEORGIAN_FILENAME, PHOTO)


def test_a_deactivated_user_is_signed_out_at_once_and_cannot_sign_in(people: People) -> None:
    shots = Screenshots("deactivate")
    giorgi = people.signed_in("giorgi")
    shots.take(giorgi, "user-signed-in")

    nino = people.signed_in("nino")
    nino.get_by_role("navigation").get_by_role("link", name="Users").click()
    account = nino.locator("table.users tbody tr").filter(has_text="giorgi@ge")
    expect(account).to_contain_text("active")
    shots.take(nino, "admin-users")
    account.get_by_role("button", name="Deactivate giorgi").click()
    expect(nino.get_by_role("status")).to_contain_text("giorgi is deactivated and signed out.")
    expect(account.locator("td").nth(1)).to_have_text("deactivated")
    expect(account).to_have_class("inactive")
    shots.take(nino, "admin-deactivated-user")

    giorgi.get_by_role("link", name="Sent").click()  # the session ended: back to signing in
    expect(giorgi).to_have_url(f"{people.node.url}/login?next=%2Fmail%2Fsent")
    shots.take(giorgi, "user-session-ended")
    sign_in(giorgi, "giorgi")
    expect(giorgi.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(giorgi).to_have_url(f"{people.node.url}/login")
    shots.take(giorgi, "user-cannot-sign-in")
