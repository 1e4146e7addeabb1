"""The web app's mail pages, driven like a browser (forms, cookies, redirects) through
httpx against a real node on the embedded default (SQLite and the local spool)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from nodes import PASSWORD, Network, add_user
from webclient import BASE, csrf, sign_in

from hub.accounts import Role
from hub.node import Node
from hub.web import create_app
from message_schemas import Mail

PHOTO = bytes(range(256)) * 300
GEORGIAN_FILENAME = "ფოტო სარფი.bin"


@asynccontextmanager
async def browser(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (its own cookies) on the node's web app."""
    transport = httpx.ASGITransport(app=create_app(node))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def send(
    client: httpx.AsyncClient,
    to: str,
    subject: str,
    body: str = "",
    *,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    **fields: str,
) -> httpx.Response:
    form = await client.get("/compose")
    data = {"to": to, "subject": subject, "body": body, "handling_code": "H1", **fields}
    return await client.post("/compose", data={**data, "csrf_token": csrf(form)}, files=files or [])


def sent_id(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/messages/([0-9a-f]{32})\?notice=sent", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def inbox_badge(page: httpx.Response) -> str | None:
    match = re.search(r'class="badge">([^<]+)<', page.text)
    return match.group(1) if match else None


async def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(ge: Node) -> None:
    async with browser(ge) as client:
        assert (await client.get("/")).headers["location"] == "/login"
        page = await client.get("/mail/inbox")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2Fmail%2Finbox"

        signed = await sign_in(client, "levan")
        assert signed.status_code == 303 and signed.headers["location"] == "/mail/inbox"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
        inbox = await client.get("/mail/inbox")
        assert inbox.status_code == 200
        assert "levan" in inbox.text and "No messages here yet." in inbox.text
        assert inbox.headers["cache-control"] == "no-store"
        assert "script-src" not in inbox.headers["content-security-policy"]  # none at all

        out = await client.post("/logout", data={"csrf_token": csrf(inbox)})
        assert out.status_code == 303 and out.headers["location"] == "/login?notice=signed-out"
        assert "You have signed out." in (await client.get("/login?notice=signed-out")).text
        assert (await client.get("/mail/inbox")).status_code == 303


async def test_a_wrong_password_is_refused_without_saying_which_part_is_wrong(ge: Node) -> None:
    async with browser(ge) as client:
        for username, password in [("levan", "not the password at all"), ("nobody", PASSWORD)]:
            refused = await sign_in(client, username, password)
            assert refused.status_code == 400
            assert "Wrong user name or password." in refused.text
        assert (await client.get("/mail/inbox")).status_code == 303


async def test_repeated_failures_lock_the_user_name_out(ge: Node) -> None:
    async with browser(ge) as client:
        for _ in range(5):
            assert (await sign_in(client, "levan", "guessing wrongly")).status_code == 400
        locked = await sign_in(client, "levan")  # even the right password, now
        assert locked.status_code == 429
        assert "Too many failed sign-ins" in locked.text and "15 minutes" in locked.text
        assert (await client.get("/mail/inbox")).status_code == 303
        # another user at the same address is not locked out by levan's failures
        assert (await sign_in(client, "tamar")).status_code == 303


async def test_a_post_without_the_csrf_token_is_refused(ge: Node) -> None:
    async with browser(ge) as client:
        await sign_in(client, "nino")
        data = {"to": "levan", "subject": "forged", "body": "", "handling_code": "H1"}
        assert (await client.post("/compose", data=data)).status_code == 403
        wrong = await client.post("/compose", data={**data, "csrf_token": "x" * 32})
        assert wrong.status_code == 403
        assert "This form has expired or did not come from Icomm" in wrong.text
        assert (await client.post("/logout")).status_code == 403
        assert (await client.get("/mail/inbox")).status_code == 200  # still signed in
    assert await ge.mailbox.folder("levan") == []
    async with browser(ge) as anonymous:
        no_cookie = await anonymous.post("/login", data={"username": "nino", "password": PASSWORD})
        assert no_cookie.status_code == 403
        assert "The sign-in form had expired. Please sign in again." in no_cookie.text
        retried = await anonymous.post(
            "/login", data={"username": "nino", "password": PASSWORD, "csrf_token": csrf(no_cookie)}
        )
        assert retried.status_code == 303


async def test_a_mail_with_an_attachment_reaches_the_inbox_and_downloads_byte_for_byte(
    ge: Node,
) -> None:
    async with browser(ge) as nino, browser(ge) as levan:
        await sign_in(nino, "nino")
        await sign_in(levan, "levan")
        message_id = sent_id(
            await send(
                nino,
                "levan",
                "Sarpi seizure",
                "200 cartons.\nPhoto attached.",
                files=[("attachments", (GEORGIAN_FILENAME, PHOTO, "application/octet-stream"))],
                source_evaluation="B",
                information_evaluation="2",
            )
        )
        inbox = await levan.get("/mail/inbox")
        assert inbox_badge(inbox) == "1"
        row = re.search(r'<tr class="unread">.*?</tr>', inbox.text, re.S)
        assert row and "Sarpi seizure" in row.group(0) and "1 attachment" in row.group(0)
        assert "nino@ge" in row.group(0)

        page = await levan.get(f"/messages/{message_id}")
        assert page.status_code == 200
        assert "200 cartons.\nPhoto attached." in page.text
        assert "Source B: usually reliable" in page.text
        assert "H1</strong> — may be used in analysis, but not passed on" in page.text
        assert GEORGIAN_FILENAME in page.text
        download = await levan.get(f"/messages/{message_id}/attachments/0")
        assert download.status_code == 200
        assert download.content == PHOTO
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''" in download.headers["content-disposition"]
        assert (await levan.get(f"/messages/{message_id}/attachments/1")).status_code == 404

        # opening it marked it read: no longer bold, no unread count in the navigation
        inbox = await levan.get("/mail/inbox")
        assert inbox_badge(inbox) is None
        assert 'class="unread"' not in inbox.text
        # a third user cannot read it, nor its attachment
        async with browser(ge) as tamar:
            await sign_in(tamar, "tamar")
            assert (await tamar.get(f"/messages/{message_id}")).status_code == 404
            assert (await tamar.get(f"/messages/{message_id}/attachments/0")).status_code == 404


async def test_a_reply_stays_in_the_thread(ge: Node) -> None:
    async with browser(ge) as nino, browser(ge) as levan:
        await sign_in(nino, "nino")
        await sign_in(levan, "levan")
        original = sent_id(await send(nino, "levan, tamar", "Route via Sarpi", "Seen twice."))

        form = await levan.get(f"/compose?reply={original}&all=1")
        assert form.status_code == 200
        assert 'value="nino@ge, tamar@ge"' in form.text
        assert 'value="Re: Route via Sarpi"' in form.text
        assert "&gt; Seen twice." in form.text
        reply = await levan.post(
            "/compose",
            data={
                "csrf_token": csrf(form),
                "to": "nino@ge",
                "subject": "Re: Route via Sarpi",
                "body": "Confirmed.",
                "handling_code": "H1",
                "in_reply_to": original,
            },
        )
        reply_id = sent_id(reply)
    opened = await ge.mailbox.open("nino", reply_id, mark_read=False)
    assert isinstance(opened.message, Mail)
    assert opened.message.thread_id == original and opened.message.in_reply_to == original
    async with browser(ge) as nino:
        await sign_in(nino, "nino")
        page = await nino.get(f"/messages/{reply_id}")
        assert "Conversation: 2 messages" in page.text
        assert f'href="/messages/{original}"' in page.text


async def test_the_sent_folder_shows_what_became_of_each_recipient(
    network: Network, ge: Node
) -> None:
    await network.add("am", run=False)  # trusted, but not reading its queue: stays pending
    async with browser(ge) as nino:
        await sign_in(nino, "nino")
        message_id = sent_id(await send(nino, "levan, armen@am", "Joint operation"))
        sent = await nino.get("/mail/sent")
        assert "1 delivered, 1 pending" in sent.text
        page = await nino.get(f"/messages/{message_id}")
        deliveries = page.text[page.text.index('id="deliveries-title"') :]
        assert re.search(r"armen@am.*?pending", deliveries, re.S)
        assert re.search(r"levan@ge.*?delivered", deliveries, re.S)


async def test_search_finds_messages_by_subject_and_sender(ge: Node) -> None:
    async with browser(ge) as nino, browser(ge) as tamar, browser(ge) as levan:
        await sign_in(nino, "nino")
        await sign_in(tamar, "tamar")
        await sign_in(levan, "levan")
        await send(nino, "levan", "Sarpi seizure: cigarettes")
        await send(tamar, "levan", "Weekly summary")
        await send(tamar, "levan", "100% cotton, declared as silk")

        found = await levan.get("/mail/inbox", params={"q": "SARPI"})
        assert "Sarpi seizure: cigarettes" in found.text
        assert "Weekly summary" not in found.text
        assert "1 message matches" in found.text
        by_sender = await levan.get("/mail/inbox", params={"q": "tamar@"})
        assert "Weekly summary" in by_sender.text and "Sarpi" not in by_sender.text
        literal = await levan.get("/mail/inbox", params={"q": "100%"})
        assert "100% cotton" in literal.text and "Weekly summary" not in literal.text
        none = await levan.get("/mail/inbox", params={"q": "nothing like this"})
        assert "Nothing found." in none.text


async def test_search_finds_a_word_of_the_message_text(ge: Node) -> None:
    async with browser(ge) as nino, browser(ge) as levan:
        await sign_in(nino, "nino")
        await sign_in(levan, "levan")
        await send(nino, "levan", "Weekly summary", "Cigarettes found in a truck at Sarpi.")
        await send(nino, "levan", "ამოღება", "სიგარეტი ნაპოვნია სატვირთო მანქანაში")
        await send(nino, "levan", "Other", "Nothing to report.")

        found = await levan.get("/mail/inbox", params={"q": "truck cigar"})
        assert "Weekly summary" in found.text and "Other" not in found.text
        assert "1 message matches" in found.text
        georgian = await levan.get("/mail/inbox", params={"q": "მანქანაში"})
        assert "ამოღება" in georgian.text and "Weekly summary" not in georgian.text
        sent = await nino.get("/mail/sent", params={"q": "sarpi"})
        assert "Weekly summary" in sent.text and "ამოღება" not in sent.text
        syntax = await levan.get("/mail/inbox", params={"q": '"truck* AND (:'})
        assert syntax.status_code == 200 and "Nothing found." in syntax.text


async def test_user_text_is_escaped_on_every_page(ge: Node) -> None:
    evil = '<script>alert("x")</script>'
    await ge.accounts.add("mallory", Role.OFFICER, PASSWORD, display_name=evil)
    async with browser(ge) as mallory, browser(ge) as levan:
        await sign_in(mallory, "mallory")
        await sign_in(levan, "levan")
        message_id = sent_id(
            await send(
                mallory,
                "levan",
                evil,
                f"body {evil}",
                files=[("attachments", (f"{evil}.txt", b"x", "text/plain"))],
            )
        )
        pages = [
            await levan.get("/mail/inbox"),
            await levan.get("/mail/inbox", params={"q": evil}),
            await levan.get(f"/messages/{message_id}"),
            await levan.get(f"/compose?reply={message_id}"),
            await mallory.get("/mail/sent"),
            await mallory.get(f"/messages/{message_id}"),
        ]
        for page in pages:
            assert page.status_code == 200
            assert "<script>" not in page.text
            assert "&lt;script&gt;" in page.text
        async with browser(ge) as nino:
            await sign_in(nino, "nino")
            users = await nino.get("/users")
            assert "<script>" not in users.text and "&lt;script&gt;" in users.text


async def test_an_html_body_is_offered_only_as_a_download(ge: Node) -> None:
    sent = await ge.submit(
        Mail(
            sender="nino@ge",
            to=["levan@ge"],
            subject="From a mail client",
            body="Plain version.",
            body_html='<p onmouseover="steal()">HTML <b>version</b></p>',
        )
    )
    async with browser(ge) as levan:
        await sign_in(levan, "levan")
        page = await levan.get(f"/messages/{sent.id}")
        assert "Plain version." in page.text
        assert "onmouseover" not in page.text and "<b>version</b>" not in page.text
        assert f'href="/messages/{sent.id}/html"' in page.text
        html = await levan.get(f"/messages/{sent.id}/html")
        assert html.status_code == 200
        assert html.headers["content-disposition"].startswith("attachment;")
        assert "sandbox" in html.headers["content-security-policy"]
        assert b"<b>version</b>" in html.content


async def test_attachments_over_the_limit_are_refused_with_the_draft_kept(
    network: Network,
) -> None:
    small = await network.add("ge", max_message_bytes=2**16)
    await add_user(small, "nino")
    async with browser(small) as nino:
        await sign_in(nino, "nino")
        files = [("attachments", ("scan.tif", b"\0" * 70_000, "image/tiff"))]
        refused = await send(nino, "nino", "Big scan", "See scan.", files=files)
        assert refused.status_code == 413
        assert "one message can carry about 49.2 kB" in refused.text and "See scan." in refused.text
        assert "Choose the attachments again" in refused.text
        huge = [("attachments", ("all.tif", b"\0" * 1_200_000, "image/tiff"))]
        too_big = await send(nino, "nino", "Bigger", files=huge)
        assert too_big.status_code == 413 and "larger than this node accepts" in too_big.text
    assert await small.mailbox.folder("nino", "sent") == []


async def test_a_draft_with_mistakes_comes_back_with_every_problem_and_the_text_kept(
    ge: Node,
) -> None:
    async with browser(ge) as nino:
        await sign_in(nino, "nino")
        refused = await send(nino, "levan, not an address!, ghost", "Kept subject", "Kept body")
        assert refused.status_code == 400
        assert "“not an address!” is not an address" in refused.text
        assert "ghost@ge: no such recipient at this node." in refused.text
        assert 'value="Kept subject"' in refused.text and "Kept body" in refused.text
        unknown_node = await send(nino, "someone@zz", "Nowhere")
        assert unknown_node.status_code == 400
        assert "no partner node &#39;zz&#39;" in unknown_node.text
    assert await ge.mailbox.folder("nino", "sent") == []
