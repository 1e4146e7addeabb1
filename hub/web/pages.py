"""The account pages: signing in and out, setting a password from a one-time link, and
the administrators' user management. Also :func:`render_page`, which every page uses.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.accounts import MIN_PASSWORD, Role, generate_password
from hub.errors import AddressError, HubError
from hub.web.auth import (
    Viewer,
    clear_session,
    client_address,
    context_of,
    find_user,
    form_session,
    optional_viewer,
    require_admin,
    safe_next,
    set_session,
)
from hub.web.mailing import FOLDERS
from hub.web.rendering import N_, _, format_moment, ngettext
from hub.web.security import RESET_LINK_SECONDS, WELCOME_LINK_SECONDS, LinkError, PasswordLink

router = APIRouter(include_in_schema=False)

NOTICES = {
    "signed-out": N_("You have signed out."),
    "password-set": N_("Your password is set. Sign in with it."),
    "sent": N_("Your message was sent."),
    "language-saved": N_("Your language is saved."),
}
ROLES = [
    (Role.OFFICER.value, N_("Officer")),
    (Role.ANALYST.value, N_("Analyst")),
    (Role.ADMIN.value, N_("Administrator")),
]


async def render_page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    viewer: Viewer | None = None,
    status_code: int = 200,
    section: str = "",
) -> HTMLResponse:
    """A page with the layout's needs filled in: the user, the unread count, the CSRF
    token (a new anonymous session's, set as a cookie, for someone not signed in)."""
    web = context_of(request)
    session, new = (viewer.session, False) if viewer is not None else form_session(request)
    unread = await web.node.mailbox.unread_count(viewer.username) if viewer is not None else 0
    notice = NOTICES.get(request.query_params.get("notice", ""))
    response = web.renderer.page(
        template,
        {
            "request": request,
            "viewer": viewer,
            "node_id": web.node.id,
            "csrf_token": session.csrf_token,
            "unread": unread,
            "section": section,
            "folders": FOLDERS,
            "notice": _(notice) if notice else "",
            **(context or {}),
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )
    if new:
        set_session(request, response, session)
    return response


@router.get("/")
async def home(viewer: Viewer | None = Depends(optional_viewer)) -> Response:  # noqa: B008
    return RedirectResponse("/mail/inbox" if viewer else "/login", status_code=303)


@router.get("/login")
async def login_form(
    request: Request,
    viewer: Viewer | None = Depends(optional_viewer),  # noqa: B008
) -> Response:
    target = safe_next(request.query_params.get("next"))
    if viewer is not None:
        return RedirectResponse(target, status_code=303)
    return await render_page(request, "login.html", {"next": target, "error": "", "username": ""})


@router.post("/login")
async def login(request: Request) -> Response:
    web = context_of(request)
    form = await request.form()
    username = str(form.get("username", "")).strip().lower()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    address = client_address(request)

    async def refuse(error: str, status_code: int) -> HTMLResponse:
        context = {"next": target, "error": error, "username": username}
        return await render_page(request, "login.html", context, status_code=status_code)

    wait = web.limiter.locked_for(username, address)
    if wait > 0:
        return await refuse(
            ngettext(
                "Too many failed sign-ins. For your security, signing in is paused: "
                "try again in %(num)s minute, or ask an administrator.",
                "Too many failed sign-ins. For your security, signing in is paused: "
                "try again in %(num)s minutes, or ask an administrator.",
                max(1, math.ceil(wait / 60)),
            ),
            429,
        )
    account = await web.node.accounts.authenticate(username, password) if username else None
    user = await find_user(web.node, username) if account is not None else None
    if account is None or user is None:
        web.limiter.failed(username, address)
        return await refuse(_("Wrong user name or password."), 400)
    web.limiter.succeeded(username)
    response = RedirectResponse(target, status_code=303)
    set_session(request, response, web.sessions.signed_in(user.username, user.password_hash))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = RedirectResponse("/login?notice=signed-out", status_code=303)
    clear_session(request, response)
    return response


async def _live_link(request: Request, token: str) -> PasswordLink | HTMLResponse:
    """The link behind a token, or the page that says why it cannot be used."""
    web = context_of(request)
    try:
        link = web.links.read(token)
    except LinkError:
        link = None
    user = await find_user(web.node, link.username) if link is not None else None
    if link is None or user is None or not user.active:
        message = _("This link is not valid, or has expired. Ask an administrator for a new one.")
    elif not web.links.still_valid(link, user.password_hash):
        message = _("This link has already been used. Ask an administrator for a new one.")
    else:
        return link
    context = {"title": _("Link not usable"), "message": message}
    return await render_page(request, "error.html", context, status_code=410)


@router.get("/reset/{token}", name="password_form")
async def password_form(request: Request, token: str) -> Response:
    link = await _live_link(request, token)
    if isinstance(link, Response):
        return link
    context = {"username": link.username, "error": "", "min_length": MIN_PASSWORD}
    return await render_page(request, "reset.html", context)


@router.post("/reset/{token}")
async def set_password(request: Request, token: str) -> Response:
    link = await _live_link(request, token)
    if isinstance(link, Response):
        return link
    form = await request.form()
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    error = ""
    if len(password) < MIN_PASSWORD:
        error = ngettext(
            "Choose a password of at least %(num)s character.",
            "Choose a password of at least %(num)s characters.",
            MIN_PASSWORD,
        )
    elif password != again:
        error = _("The two passwords differ. Type the same password twice.")
    if error:
        context = {"username": link.username, "error": error, "min_length": MIN_PASSWORD}
        return await render_page(request, "reset.html", context, status_code=400)
    await context_of(request).node.accounts.reset_password(link.username, password)
    response = RedirectResponse("/login?notice=password-set", status_code=303)
    clear_session(request, response)
    return response


async def _users_page(
    request: Request,
    viewer: Viewer,
    *,
    notice: str = "",
    error: str = "",
    link: str = "",
    draft: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    accounts = await context_of(request).node.accounts.list_users()
    context = {
        "accounts": accounts,
        "roles": ROLES,
        "role_labels": dict(ROLES),
        "done": notice,
        "error": error,
        "link": link,
        "draft": draft or {"username": "", "display_name": "", "role": Role.OFFICER.value},
        "reset_hours": RESET_LINK_SECONDS // 3600,
    }
    return await render_page(
        request, "users.html", context, viewer=viewer, status_code=status_code, section="users"
    )


async def _password_link(request: Request, username: str, seconds: int) -> str:
    web = context_of(request)
    user = await find_user(web.node, username)
    assert user is not None
    token = web.links.issue(user.username, user.password_hash, seconds)
    return str(request.url_for("password_form", token=token))


@router.get("/users")
async def users(request: Request, viewer: Viewer = Depends(require_admin)) -> Response:  # noqa: B008
    return await _users_page(request, viewer)


@router.post("/users")
async def create_user(request: Request, viewer: Viewer = Depends(require_admin)) -> Response:  # noqa: B008
    form = await request.form()
    draft = {
        "username": str(form.get("username", "")).strip().lower(),
        "display_name": " ".join(str(form.get("display_name", "")).split()),
        "role": str(form.get("role", Role.OFFICER.value)),
    }
    accounts = context_of(request).node.accounts
    try:
        role = Role(draft["role"])
        await accounts.add(draft["username"], role, generate_password(), draft["display_name"])
    except ValueError:
        return await _users_page(
            request, viewer, error=_("Choose a role."), draft=draft, status_code=400
        )
    except HubError as exc:
        return await _users_page(request, viewer, error=str(exc), draft=draft, status_code=400)
    link = await _password_link(request, draft["username"], WELCOME_LINK_SECONDS)
    notice = _(
        "%(user)s can now choose a password with this link, which works once and expires "
        "on %(expiry)s. Give it to them by a safe channel; it is not shown again.",
        user=draft["username"],
        expiry=format_moment(_expiry(request, WELCOME_LINK_SECONDS)),
    )
    return await _users_page(request, viewer, notice=notice, link=link)


@router.post("/users/{username}/{action}")
async def change_user(
    request: Request,
    username: str,
    action: str,
    viewer: Viewer = Depends(require_admin),  # noqa: B008
) -> Response:
    accounts = context_of(request).node.accounts
    form = await request.form()
    if username == viewer.username and action in {"deactivate", "role", "reset"}:
        error = _(
            "You cannot deactivate yourself, change your own role or reset your own password "
            "here: ask another administrator."
        )
        return await _users_page(request, viewer, error=error, status_code=400)
    link = ""
    try:
        if action == "deactivate":
            await accounts.deactivate(username)
            notice = _("%(user)s is deactivated and signed out.", user=username)
        elif action == "activate":
            await accounts.activate(username)
            notice = _("%(user)s is active again.", user=username)
        elif action == "role":
            role = Role(str(form.get("role", "")))
            await accounts.set_role(username, role)
            notice = _("%(user)s is now: %(role)s.", user=username, role=_(dict(ROLES)[role.value]))
        elif action == "reset":
            await accounts.reset_password(username, generate_password())
            link = await _password_link(request, username, RESET_LINK_SECONDS)
            notice = _(
                "%(user)s's password is reset and their sessions are ended. They choose a new "
                "one with this link, which works once and expires on %(expiry)s; it is not "
                "shown again.",
                user=username,
                expiry=format_moment(_expiry(request, RESET_LINK_SECONDS)),
            )
        else:
            return await _users_page(request, viewer, error=_("Unknown action."), status_code=404)
    except ValueError:
        return await _users_page(request, viewer, error=_("Choose a role."), status_code=400)
    except AddressError as exc:
        return await _users_page(request, viewer, error=str(exc), status_code=404)
    except HubError as exc:
        return await _users_page(request, viewer, error=str(exc), status_code=400)
    return await _users_page(request, viewer, notice=notice, link=link)


def _expiry(request: Request, seconds: int) -> datetime:
    return datetime.fromtimestamp(context_of(request).links.clock() + seconds, UTC)
