"""A browser for the web tests: an httpx client with its own cookies on a node's web app.

(A module of its own: test modules import it by name, which ``conftest`` is not.)
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from nodes import PASSWORD

BASE = "https://icomm.test"  # cookies are Secure by default: the browser speaks HTTPS
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@asynccontextmanager
async def browser(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def csrf(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf(form)}
    )
