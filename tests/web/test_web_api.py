"""The JSON API under /api/v1 and its OpenAPI document; serving the app with uvicorn.

Embedded default only (SQLite and the local spool). The API signs in with
POST /api/v1/session (cookie + CSRF token) and sends the token in X-CSRF-Token.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from nodes import PASSWORD, Network, add_user
from webclient import BASE

from hub.node import Node
from hub.web import WebServer, create_app
from message_schemas import Mail

REPORT = bytes(range(256)) * 64 + "ამოღება".encode()


@asynccontextmanager
async def client_for(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(node))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def api_sign_in(client: httpx.AsyncClient, username: str) -> str:
    """Sign in; the CSRF token is set as the client's default X-CSRF-Token header."""
    response = await client.post(
        "/api/v1/session", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


async def test_me_needs_a_session_and_says_who_is_signed_in(ge: Node) -> None:
    async with client_for(ge) as client:
        anonymous = await client.get("/api/v1/me")
        assert anonymous.status_code == 401
        assert anonymous.json() == {"detail": "Please sign in."}
        wrong = await client.post("/api/v1/session", json={"username": "nino", "password": "no"})
        assert wrong.status_code == 401 and wrong.json() == {
            "detail": "Wrong user name or password."
        }
        # a cross-site form cannot sign anyone in: the API reads JSON only
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            smuggled = await client.post(
                "/api/v1/session",
                content=f'{{"username": "nino", "password": "{PASSWORD}"}}',
                headers={"Content-Type": content_type},
            )
            assert smuggled.status_code == 422 and "set-cookie" not in smuggled.headers
        token = await api_sign_in(client, "nino")
        me = await client.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json() == {
            "username": "nino",
            "address": "nino@ge",
            "csrf_token": token,
            "display_name": "",
            "role": "admin",
            "node": "ge",
            "unread": 0,
        }
        assert (await client.delete("/api/v1/session")).status_code == 204
        assert (await client.get("/api/v1/me")).status_code == 401


async def test_repeated_failures_lock_the_api_sign_in_too(ge: Node) -> None:
    async with client_for(ge) as client:
        for _ in range(5):
            refused = await client.post(
                "/api/v1/session", json={"username": "levan", "password": "a wrong guess"}
            )
            assert refused.status_code == 401
        locked = await client.post(
            "/api/v1/session", json={"username": "levan", "password": PASSWORD}
        )
        assert locked.status_code == 429
        assert "Too many failed sign-ins" in locked.json()["detail"]
        assert int(locked.headers["retry-after"]) > 0


async def test_a_mail_sent_through_the_api_is_read_and_downloaded_through_it(ge: Node) -> None:
    async with client_for(ge) as nino, client_for(ge) as levan:
        await api_sign_in(nino, "nino")
        await api_sign_in(levan, "levan")
        sent = await nino.post(
            "/api/v1/messages",
            json={
                "to": ["levan"],
                "subject": "Sarpi seizure",
                "body": "Report attached.",
                "handling_code": "H2",
                "source_evaluation": "A",
                "information_evaluation": "1",
                "attachments": [
                    {
                        "filename": "report ამოღება.bin",
                        "content": base64.b64encode(REPORT).decode(),
                    }
                ],
            },
        )
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["id"]
        assert sent.json()["to"] == ["levan@ge"] and sent.json()["thread_id"] == message_id

        assert (await levan.get("/api/v1/me")).json()["unread"] == 1
        [summary] = (await levan.get("/api/v1/mailbox/inbox")).json()
        assert summary["id"] == message_id and summary["sender"] == "nino@ge"
        assert summary["read"] is False and summary["attachments"] == 1
        assert summary["delivery"] is None

        detail = (await levan.get(f"/api/v1/messages/{message_id}")).json()
        assert detail["body"] == "Report attached." and detail["handling_code"] == "H2"
        assert (detail["source_evaluation"], detail["information_evaluation"]) == ("A", "1")
        assert detail["folders"] == ["inbox"] and detail["read_at"] is None
        [attachment] = detail["attachments"]
        assert attachment["sha256"] == hashlib.sha256(REPORT).hexdigest()
        download = await levan.get(attachment["url"].removeprefix(BASE))
        assert download.status_code == 200 and download.content == REPORT
        assert (await levan.get("/api/v1/me")).json()["unread"] == 0

        [sent_summary] = (await nino.get("/api/v1/mailbox/sent")).json()
        assert sent_summary["delivery"] == {"pending": 0, "delivered": 1, "failed": 0}
        deliveries = (await nino.get(f"/api/v1/messages/{message_id}/deliveries")).json()
        assert [(d["address"], d["status"]) for d in deliveries] == [("levan@ge", "delivered")]

        found = (await levan.get("/api/v1/mailbox/inbox", params={"q": "sarpi"})).json()
        assert [m["id"] for m in found] == [message_id]
        assert (await levan.get("/api/v1/mailbox/inbox", params={"q": "other"})).json() == []


async def test_a_reply_and_a_multipart_upload_through_the_api(ge: Node) -> None:
    original = await ge.submit(Mail(sender="nino@ge", to=["levan@ge"], subject="Q", body="?"))
    async with client_for(ge) as levan:
        await api_sign_in(levan, "levan")
        sent = await levan.post(
            "/api/v1/messages/upload",
            data={"to": "nino@ge", "subject": "Re: Q", "body": "!", "in_reply_to": original.id},
            files=[("attachments", ("photo.jpg", b"\xff\xd8\xff\xe0 not really", "image/jpeg"))],
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["thread_id"] == original.id
    opened = await ge.mailbox.open("nino", sent.json()["id"])
    assert isinstance(opened.message, Mail)
    [attachment] = opened.message.attachments
    assert (attachment.filename, attachment.media_type) == ("photo.jpg", "image/jpeg")
    assert opened.message.in_reply_to == original.id


async def test_state_changes_need_the_csrf_header(ge: Node) -> None:
    async with client_for(ge) as client:
        await api_sign_in(client, "nino")
        del client.headers["X-CSRF-Token"]
        body = {"to": ["levan"], "subject": "no token"}
        refused = await client.post("/api/v1/messages", json=body)
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["detail"]
        wrong = await client.post("/api/v1/messages", json=body, headers={"X-CSRF-Token": "x"})
        assert wrong.status_code == 403
        assert (await client.delete("/api/v1/session")).status_code == 403
    assert await ge.mailbox.folder("levan") == []


async def test_bad_input_gets_a_4xx_with_a_detail_never_a_5xx(network: Network, ge: Node) -> None:
    await network.add("am", run=False)
    await ge.accounts.deactivate("tamar")
    other = await ge.submit(Mail(sender="levan@ge", to=["levan@ge"], subject="private", body=""))
    async with client_for(ge) as client:
        await api_sign_in(client, "nino")
        cases = {
            "unknown local recipient": {"to": ["ghost"], "subject": "x"},
            "not an address": {"to": ["not an address"], "subject": "x"},
            "unknown partner node": {"to": ["someone@zz"], "subject": "x"},
            "deactivated recipient": {"to": ["tamar@ge"], "subject": "x"},
        }
        for case, body in cases.items():
            response = await client.post("/api/v1/messages", json=body)
            assert response.status_code == 400, (case, response.text)
            assert isinstance(response.json()["detail"], str) and response.json()["detail"], case
        malformed = [
            {"to": [], "subject": "x"},
            {"to": ["levan"], "handling_code": "H9"},
            {"to": ["levan"], "attachments": [{"filename": "a", "content": "not base64!"}]},
            {"to": ["levan"], "in_reply_to": "../../etc"},
        ]
        for body in malformed:
            response = await client.post("/api/v1/messages", json=body)
            assert response.status_code == 422, (body, response.text)
            assert "detail" in response.json()
        not_json = await client.post(
            "/api/v1/messages", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert not_json.status_code == 422
        assert (await client.get("/api/v1/mailbox/trash")).status_code == 422
        assert (await client.get("/api/v1/messages/nothex")).status_code == 422
        missing = await client.get(f"/api/v1/messages/{'0' * 32}")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "There is no such message in your mailbox."}
        # another user's message is as absent as one that does not exist
        assert (await client.get(f"/api/v1/messages/{other.id}")).status_code == 404
        assert (await client.get(f"/api/v1/messages/{other.id}/deliveries")).status_code == 404
        assert (await client.get(f"/api/v1/messages/{other.id}/attachments/0")).status_code == 404
        reply_elsewhere = await client.post(
            "/api/v1/messages", json={"to": ["levan"], "in_reply_to": other.id}
        )
        assert reply_elsewhere.status_code == 400
        assert (await client.get("/api/v1/nothing-here")).json() == {
            "detail": "There is nothing at this address."
        }
    assert await ge.mailbox.folder("nino", "sent") == []


async def test_a_mail_over_the_size_limit_gets_413(network: Network) -> None:
    small = await network.add("ge", max_message_bytes=2**16)
    await add_user(small, "nino")
    async with client_for(small) as client:
        await api_sign_in(client, "nino")
        big = base64.b64encode(b"\0" * 70_000).decode()
        body = {"to": ["nino"], "attachments": [{"filename": "a.bin", "content": big}]}
        refused = await client.post("/api/v1/messages", json=body)
        assert (
            refused.status_code == 413
            and "one message can carry about 49.2 kB" in refused.json()["detail"]
        )
        huge = [("attachments", ("scan.tif", b"\0" * 1_200_000, "image/tiff"))]
        too_big = await client.post("/api/v1/messages/upload", data={"to": "nino"}, files=huge)
        assert too_big.status_code == 413 and "larger than" in too_big.json()["detail"]
    assert await small.mailbox.folder("nino", "sent") == []


async def test_the_openapi_document_describes_the_api(ge: Node) -> None:
    async with client_for(ge) as client:
        document = (await client.get("/openapi.json")).json()
        assert (await client.get("/docs")).status_code == 404  # no CDN-loaded Swagger UI
    assert {
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/mailbox/{folder}",
        "/api/v1/messages",
        "/api/v1/messages/upload",
        "/api/v1/messages/{message_id}",
        "/api/v1/messages/{message_id}/attachments/{position}",
        "/api/v1/messages/{message_id}/deliveries",
    } <= set(document["paths"])
    assert all(path.startswith("/api/v1/") for path in document["paths"])  # no pages
    schemes = document["components"]["securitySchemes"]
    assert schemes["APIKeyCookie"]["name"] == "icomm_session"
    assert schemes["APIKeyHeader"]["name"] == "X-CSRF-Token"
    post = document["paths"]["/api/v1/messages"]["post"]
    assert "201" in post["responses"] and "400" in post["responses"]
    assert "X-CSRF-Token" in document["info"]["description"]


async def test_the_web_server_runs_in_the_nodes_event_loop(ge: Node) -> None:
    async with WebServer(ge, port=0) as web:
        assert web.port != 0
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web.port}") as client:
            page = await client.get("/login")
            style = await client.get("/static/style.css")
    assert page.status_code == 200 and "Sign in to Icomm" in page.text
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert "server" not in page.headers
