"""The JSON API against its own OpenAPI document: schemathesis generates requests for every
operation (valid ones and malformed ones), signed in, and none may answer with a 5xx.

Besides what schemathesis makes up on its own (message ids that mostly do not exist,
recipients that mostly are not users), the valid requests are also tried on a mail that
exists, with an attachment, and sent to a real user, so the deeper paths run too.

The app runs in-process (``create_app(node)``) on the node's own event loop, reached
through httpx's ASGI transport (schemathesis's own ASGI client would run it on an event
loop of its own, away from the node's database connections). Hypothesis runs in a
worker thread, bounded and derandomized, so CI sends the same requests every time.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from nodes import PASSWORD
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from webclient import BASE

from hub.node import Node
from hub.web import create_app
from hub.web.security import CSRF_HEADER, SESSION_COOKIE

EXAMPLES = 20  # per run: an operation in one generation mode
SIGN_IN_EXAMPLES = 8  # each checks a password hash, on purpose slow
REQUEST_SECONDS = 30
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE


class InProcessApi:
    """Sends a schemathesis case to the app on the node's event loop, from another thread."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop

    def call(self, case: Case) -> httpx.Response:
        """The request as schemathesis would send it (serialized by ``requests``), answered
        by the app without the network; no cookie jar, no redirects followed."""
        kwargs = case.as_transport_kwargs(base_url=BASE)
        prepared = requests.Request(
            method=kwargs["method"],
            url=kwargs["url"],
            headers=kwargs.get("headers"),
            params=kwargs.get("params"),
            cookies=kwargs.get("cookies"),
            json=kwargs.get("json"),
            data=kwargs.get("data"),
            files=kwargs.get("files"),
        ).prepare()
        body = prepared.body or b""
        request = httpx.Request(
            prepared.method or "GET",
            prepared.url or BASE,
            headers=list(prepared.headers.items()),
            content=body.encode() if isinstance(body, str) else body,
        )
        future = asyncio.run_coroutine_threadsafe(self.client.send(request), self.loop)
        return future.result(timeout=REQUEST_SECONDS)


@dataclass(frozen=True)
class Run:
    """One bounded Hypothesis run: an operation, a generation mode, and what is fixed."""

    operation: APIOperation
    mode: GenerationMode
    note: str = ""
    path_parameters: dict[str, object] | None = None
    recipient: str | None = None  # the body's "to", so that the mail can be sent

    @property
    def label(self) -> str:
        return f"{self.operation.label} ({self.mode.value}{', ' + self.note if self.note else ''})"

    def strategy(self, cookie: str, csrf_token: str) -> st.SearchStrategy[Case]:
        strategy = self.operation.as_strategy(
            self.mode,
            headers={CSRF_HEADER: csrf_token},
            cookies={SESSION_COOKIE: cookie},
            path_parameters=self.path_parameters,
        )
        if self.recipient is not None:
            strategy = strategy.map(self._addressed)
        return strategy

    def _addressed(self, case: Case) -> Case:
        if isinstance(case.body, dict):
            case.body = {**case.body, "to": [self.recipient]}
        return case

    def test(self, api: InProcessApi, cookie: str, csrf_token: str) -> Callable[[], None]:
        examples = SIGN_IN_EXAMPLES if self.operation.path == "/api/v1/session" else EXAMPLES

        @settings(
            max_examples=examples,
            derandomize=True,  # the same requests on every run
            database=None,  # nothing remembered between runs either
            deadline=None,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=self.strategy(cookie, csrf_token))
        def no_server_error(case: Case) -> None:
            case.validate_response(api.call(case), checks=[not_a_server_error])

        return no_server_error


def runs(operations: list[APIOperation], mail_id: str) -> list[Run]:
    """Every operation both ways; the message operations also on a real mail (with an
    attachment), and sending also to a real user."""
    planned = [Run(op, mode) for op in operations for mode in (POSITIVE, NEGATIVE)]
    for op in operations:
        if "{message_id}" in op.path:
            planned.append(Run(op, POSITIVE, "existing mail", {"message_id": mail_id}))
            if "{position}" in op.path:
                fixed = {"message_id": mail_id, "position": 0}
                planned.append(Run(op, POSITIVE, "its attachment", fixed))
        if op.method.upper() == "POST" and op.path.startswith("/api/v1/messages"):
            planned.append(Run(op, POSITIVE, "to tamar", recipient="tamar"))
    return planned


async def test_no_api_operation_answers_any_generated_request_with_a_server_error(
    ge: Node,
) -> None:
    app = create_app(ge)
    # an exception in the app becomes the 500 a server would send, not one in the test
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        signed = await client.post(
            "/api/v1/session", json={"username": "levan", "password": PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        cookie, csrf_token = signed.cookies[SESSION_COOKIE], signed.json()["csrf_token"]
        attachment = {
            "filename": "seizure.csv",
            "content": base64.b64encode(b"a,b\n1,2\n").decode(),
        }
        sent = await client.post(
            "/api/v1/messages",
            json={"to": ["tamar"], "subject": "Seizure", "attachments": [attachment]},
            headers={CSRF_HEADER: csrf_token},
        )
        assert sent.status_code == 201, sent.text
        client.cookies.clear()  # from here on, each case carries the cookie itself

        schema = schemathesis.openapi.from_dict(app.openapi())
        operations = [result.ok() for result in schema.get_all_operations()]
        paths = {op.path for op in operations}
        assert len(operations) == len(
            [m for item in app.openapi()["paths"].values() for m in item]
        ), "schemathesis skipped operations of the document"
        assert "/api/v1/messages/{message_id}/attachments/{position}" in paths

        api = InProcessApi(client, asyncio.get_running_loop())
        failures: list[str] = []
        for run in runs(operations, sent.json()["id"]):
            try:
                await asyncio.to_thread(run.test(api, cookie, csrf_token))
            except Unsatisfiable:  # nothing to make malformed: no parameters, no body
                assert run.mode is NEGATIVE, run.label
            except (Exception, FailureGroup) as exc:  # every failing run, not just the first
                failures.append(f"{run.label}: {exc}")
    assert not failures, "\n\n".join(failures)
