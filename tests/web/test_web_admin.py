"""The administrators' pages: users, roles, deactivation, one-time password links.

Embedded default only (SQLite and the local spool); a browser is an httpx client with
its own cookies. Link expiry is tested with a clock the test moves, not by waiting.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from nodes import PASSWORD
from webclient import BASE, browser, csrf, sign_in

from hub.node import Node
from hub.web import create_app

LINK = re.compile(r'id="link" class="link-once" value="([^"]+)"')
NEW_PASSWORD = "a brand new passphrase, long enough"


class Clock:
    """Wall-clock seconds that a test moves forward."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def admin_post(client: httpx.AsyncClient, path: str, **data: str) -> httpx.Response:
    page = await client.get("/users")
    return await client.post(path, data={**data, "csrf_token": csrf(page)})


def one_time_link(page: httpx.Response) -> str:
    match = LINK.search(page.text)
    assert match, "no one-time link on the page"
    url = html.unescape(match.group(1))
    assert url.startswith(f"{BASE}/reset/")
    return url.removeprefix(BASE)


async def choose_password(client: httpx.AsyncClient, path: str, password: str) -> httpx.Response:
    form = await client.get(path)
    assert form.status_code == 200, form.text
    return await client.post(
        path, data={"password": password, "password_again": password, "csrf_token": csrf(form)}
    )


async def test_only_administrators_reach_the_users_page(ge: Node) -> None:
    app = create_app(ge)
    async with browser(app) as anonymous:
        assert (await anonymous.get("/users")).headers["location"] == "/login?next=%2Fusers"
    async with browser(app) as levan:
        await sign_in(levan, "levan")
        inbox = await levan.get("/mail/inbox")
        assert 'href="/users"' not in inbox.text
        refused = await levan.get("/users")
        assert refused.status_code == 403
        assert "Only administrators can manage users." in refused.text
        posted = await levan.post(
            "/users", data={"username": "eve", "role": "admin", "csrf_token": csrf(inbox)}
        )
        assert posted.status_code == 403
    with pytest.raises(Exception, match="eve"):
        await ge.accounts.get("eve")
    async with browser(app) as nino:
        await sign_in(nino, "nino")
        page = await nino.get("/users")
        assert page.status_code == 200 and "levan@ge" in page.text


async def test_an_administrator_creates_a_user_who_sets_a_password_with_a_one_time_link(
    ge: Node,
) -> None:
    app = create_app(ge)
    async with browser(app) as nino:
        await sign_in(nino, "nino")
        created = await admin_post(
            nino, "/users", username="Tamar.K", display_name="Tamar  Kapanadze", role="analyst"
        )
        assert created.status_code == 200, created.text
        assert "tamar.k can now choose a password with this link" in created.text
        link = one_time_link(created)
        duplicate = await admin_post(nino, "/users", username="tamar.k", role="officer")
        assert duplicate.status_code == 400 and "already taken" in duplicate.text
        assert LINK.search((await nino.get("/users")).text) is None  # shown once only
    account = await ge.accounts.get("tamar.k")
    assert (account.role, account.display_name, account.active) == (
        "analyst",
        "Tamar Kapanadze",
        True,
    )
    async with browser(app) as tamar:
        assert (await sign_in(tamar, "tamar.k", NEW_PASSWORD)).status_code == 400
        short = await tamar.post(
            link,
            data={
                "password": "short",
                "password_again": "short",
                "csrf_token": csrf(await tamar.get(link)),
            },
        )
        assert short.status_code == 400 and "at least 12 characters" in short.text
        done = await choose_password(tamar, link, NEW_PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/login?notice=password-set"
        assert (await sign_in(tamar, "tamar.k", NEW_PASSWORD)).status_code == 303
        again = await tamar.get(link)
        assert again.status_code == 410 and "already been used" in again.text


async def test_a_password_link_expires(ge: Node) -> None:
    clock = Clock()
    app = create_app(ge, clock=clock)
    async with browser(app) as nino:
        await sign_in(nino, "nino")
        link = one_time_link(await admin_post(nino, "/users/levan/reset"))
    clock.now += 23 * 3600
    async with browser(app) as levan:
        assert (await levan.get(link)).status_code == 200
        clock.now += 2 * 3600  # 25 hours after it was made: a reset link lasts 24
        expired = await levan.get(link)
        assert expired.status_code == 410 and "has expired" in expired.text
        forged = await levan.get(link[:-4] + "AAAA")
        assert forged.status_code == 410


async def test_deactivation_ends_the_users_session_at_once(ge: Node) -> None:
    app = create_app(ge)
    async with browser(app) as nino, browser(app) as levan:
        await sign_in(nino, "nino")
        await sign_in(levan, "levan")
        assert (await levan.get("/mail/inbox")).status_code == 200
        done = await admin_post(nino, "/users/levan/deactivate")
        assert "levan is deactivated and signed out." in done.text
        assert (await levan.get("/mail/inbox")).status_code == 303
        assert (await levan.get("/api/v1/me")).status_code == 401
        assert (await sign_in(levan, "levan")).status_code == 400
        activated = await admin_post(nino, "/users/levan/activate")
        assert "levan is active again." in activated.text
    async with browser(app) as levan:
        assert (await sign_in(levan, "levan")).status_code == 303


async def test_a_password_reset_ends_sessions_and_its_link_works_once(ge: Node) -> None:
    app = create_app(ge)
    async with browser(app) as nino, browser(app) as levan:
        await sign_in(nino, "nino")
        await sign_in(levan, "levan")
        reset = await admin_post(nino, "/users/levan/reset")
        assert "password is reset and their sessions are ended" in reset.text
        link = one_time_link(reset)
        assert (await levan.get("/mail/inbox")).status_code == 303
        assert (await sign_in(levan, "levan", PASSWORD)).status_code == 400  # old password
        assert (await choose_password(levan, link, NEW_PASSWORD)).status_code == 303
        assert (await sign_in(levan, "levan", NEW_PASSWORD)).status_code == 303
        assert (await levan.get("/mail/inbox")).status_code == 200
        used = await levan.get(link)
        assert used.status_code == 410
        form = await levan.get("/mail/inbox")
        replay = await levan.post(
            link,
            data={
                "password": "yet another password!",
                "password_again": "yet another password!",
                "csrf_token": csrf(form),
            },
        )
        assert replay.status_code == 410
    assert await ge.accounts.authenticate("levan", NEW_PASSWORD) is not None


async def test_roles_change_and_an_administrator_cannot_lock_themself_out(ge: Node) -> None:
    app = create_app(ge)
    async with browser(app) as nino, browser(app) as levan:
        await sign_in(nino, "nino")
        await sign_in(levan, "levan")
        assert (await levan.get("/users")).status_code == 403
        changed = await admin_post(nino, "/users/levan/role", role="admin")
        assert "levan is now: Administrator." in changed.text
        assert (await levan.get("/users")).status_code == 200  # at once, same session
        bad_role = await admin_post(nino, "/users/tamar/role", role="emperor")
        assert bad_role.status_code == 400 and "Choose a role." in bad_role.text
        selfish = await admin_post(nino, "/users/nino/deactivate")
        assert selfish.status_code == 400 and "You cannot deactivate yourself" in selfish.text
        nobody = await admin_post(nino, "/users/nobody/deactivate")
        assert nobody.status_code == 404
    assert (await ge.accounts.get("nino")).active
    assert (await ge.accounts.get("tamar")).role == "officer"
