"""A mail from an ordinary mail client (smtplib over STARTTLS + AUTH) is read in the web app:
it is listed in the recipient's web inbox, and its attachment downloads byte for byte.

(tests/hub/test_smtp_ingress.py checks the mailbox behind the ingress; this file checks
what the recipient sees. tests/web/test_browser_mail.py does the same in Chromium.)
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import quote

from nodes import PASSWORD, Network, add_user
from webclient import browser, sign_in

from hub.accounts import Role
from hub.smtp import SmtpIngress
from hub.web import create_app

PHOTO = bytes(range(256)) * 400  # every byte value, 102.4 kB
GEORGIAN_FILENAME = "ფოტო სარფი.bin"
SUBJECT = "ამოღება სარფში — photo attached"


def mail_with_photo() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Levan Kapanadze <levan@ge.icomm.example>"
    mail["To"] = "tamar@ge.icomm.example"
    mail["Subject"] = SUBJECT
    mail.set_content("Seizure at Sarpi. The photo is attached.")
    mail.add_attachment(
        PHOTO, maintype="application", subtype="octet-stream", filename=GEORGIAN_FILENAME
    )
    return mail


async def test_a_mail_sent_over_smtp_is_in_the_web_inbox_and_its_attachment_downloads_intact(
    network: Network,
) -> None:
    ge = await network.add("ge", smtp_port=0)
    await add_user(ge, "nino", Role.ADMIN)
    for name in ("levan", "tamar"):
        await add_user(ge, name)
    cafile = ge.settings.data_dir / "smtp" / "cert.pem"

    async with SmtpIngress(ge) as ingress:

        def send() -> dict[str, tuple[int, bytes]]:
            with smtplib.SMTP("localhost", ingress.port, timeout=20) as client:
                client.starttls(context=ssl.create_default_context(cafile=cafile))
                client.login("levan", PASSWORD)
                return client.send_message(mail_with_photo())

        assert await asyncio.to_thread(send) == {}  # no recipient refused

    async with browser(create_app(ge)) as tamar:
        assert (await sign_in(tamar, "tamar")).status_code == 303
        inbox = await tamar.get("/mail/inbox")
        assert inbox.status_code == 200
        row = re.search(r'<tr class="unread">.*?</tr>', inbox.text, re.S)
        assert row, "no unread mail in the web inbox"
        assert SUBJECT in row.group() and "1 attachment" in row.group()
        [message_id] = re.findall(r'href="/messages/([0-9a-f]{32})"', row.group())

        page = await tamar.get(f"/messages/{message_id}")
        assert page.status_code == 200
        assert "Seizure at Sarpi. The photo is attached." in page.text
        assert f'href="/messages/{message_id}/attachments/0" download>{GEORGIAN_FILENAME}<' in (
            page.text
        )
        download = await tamar.get(f"/messages/{message_id}/attachments/0")
        assert download.status_code == 200
        assert download.content == PHOTO
        assert download.headers["content-type"] == "application/octet-stream"
        disposition = download.headers["content-disposition"]
        assert disposition.endswith(f"; filename*=UTF-8''{quote(GEORGIAN_FILENAME)}")
