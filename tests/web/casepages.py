"""Helpers of the case-store web tests: a signed-in browser, the seizure form as a browser
fills it, posting a form with the page's CSRF token.

(A module of its own: test modules import it by name, which ``conftest`` is not.)
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from nodes import add_user
from webclient import browser, csrf, sign_in

from hub.accounts import Role
from hub.node import Node

FormData = dict[str, str | list[str]]
REF_IN_LOCATION = re.compile(r"^/(?:cases|suspects|companies)/([0-9a-f]{32})\?done=")


@asynccontextmanager
async def signed_in(app: object, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as client:
        response = await sign_in(client, username)
        assert response.status_code == 303, response.text
        yield client


async def add_analyst(node: Node, username: str = "ana") -> str:
    await add_user(node, username, Role.ANALYST)
    return username


async def post_form(
    client: httpx.AsyncClient, path: str, data: FormData, *, page: str = "/cases", **kwargs: object
) -> httpx.Response:
    """Post ``data`` to ``path`` with the CSRF token of ``page`` (a page of the session)."""
    token = csrf(await client.get(page))
    return await client.post(path, data={**data, "csrf_token": token}, **kwargs)  # type: ignore[arg-type]


def complete_form(**changes: str | list[str]) -> FormData:
    """The seizure form filled in as a browser sends it: a case that passes every check,
    with one blank commodity row (as the page offers it)."""
    yesterday = datetime.now(UTC) - timedelta(days=1)
    data: FormData = {
        "case_number": "GE-2026-0042",
        "occurred_at": yesterday.strftime("%Y-%m-%dT10:30"),
        "office": "GE-SARPI",
        "place_kind": "land",
        "direction": "import",
        "commodities.0.category": "drugs",
        "commodities.0.type": "cocaine",
        "commodities.0.description": "white powder in the spare tyre",
        "commodities.0.quantity": "12.5",
        "commodities.0.unit": "kg",
        "commodities.0.value": "450000",
        "commodities.0.currency": "EUR",
        "commodities.1.category": "",
        "commodities.1.type": "",
        "commodities.1.quantity": "",
        "detection_method": "x_ray",
        "concealment_method": "vehicle_hidden_compartment",
        "concealment_description": "welded into the spare tyre",
        "conveyance.mode": "road",
        "conveyance.type": "truck",
        "conveyance.identifier": "GE-123-AB",
        "route.departure": "TR",
        "route.transit": ["GE"],
        "route.destination": "AM",
        "source_evaluation": "B",
        "information_evaluation": "2",
        "narrative": "The driver declared auto parts.",
        "suspects.0.ref": "",
        "suspects.0.role": "",
        "companies.0.ref": "",
        "companies.0.role": "",
    }
    return {**data, **changes}


def saved_ref(response: httpx.Response) -> str:
    """The reference in the redirect after saving a record."""
    assert response.status_code == 303, response.text
    match = REF_IN_LOCATION.match(response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def png(width: int = 40, height: int = 30) -> bytes:
    """A real PNG image (an orange rectangle), which a browser decodes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + b"\xf5\xa3\x00" * width for _row in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
