"""Who is asking: the session behind a request, the signed-in user, the CSRF check.

The FastAPI dependencies here are shared by the pages and the JSON API. A failure
raises :class:`WebError`; the app's handler answers it as JSON under ``/api/`` and as
a page elsewhere (a page that needs a signed-in user redirects to the sign-in form).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Depends, Request, Response

from hub.web.rendering import _, use_locale
from hub.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginLimiter,
    PasswordLinks,
    Session,
    Sessions,
    csrf_matches,
)
from storage import StoredUser

if TYPE_CHECKING:
    from hub.node import Node
    from hub.web.rendering import Renderer

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_EXEMPT = frozenset({("POST", "/api/v1/session")})
"""Signing in through the API: no session yet to hold a token. It takes JSON only,
which a cross-site form cannot send (FastAPI refuses other content types)."""

ADMIN = "admin"
_UNSET = object()


@dataclass
class WebContext:
    """What every request handler needs, kept on ``app.state.icomm``."""

    node: Node
    renderer: Renderer
    sessions: Sessions
    links: PasswordLinks
    limiter: LoginLimiter


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request."""

    username: str
    display_name: str
    role: str
    node: str
    session: Session

    @property
    def address(self) -> str:
        return f"{self.username}@{self.node}"

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def label(self) -> str:
        return self.display_name or self.username


class WebError(Exception):
    """A refusal, with the HTTP status and a message for the user (translated)."""

    def __init__(self, status_code: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers


class CsrfRefused(WebError):
    """A state-changing request without the session's CSRF token (403)."""


def context_of(request: Request) -> WebContext:
    web: WebContext = request.app.state.icomm
    return web


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def request_session(request: Request) -> Session | None:
    """The session in the request's cookie (anonymous or not), if it is genuine and live."""
    session: Session | object | None = getattr(request.state, "icomm_session", _UNSET)
    if session is _UNSET:
        session = context_of(request).sessions.decode(request.cookies.get(SESSION_COOKIE))
        request.state.icomm_session = session
    return session if isinstance(session, Session) else None


async def find_user(node: Node, username: str) -> StoredUser | None:
    """A person's account row (with its password hash); None for a service or nobody."""
    async with node.db.transaction() as tx:
        user = await tx.users.find(username.strip().lower())
    return user if user is not None and user.role != "service" else None


async def optional_viewer(request: Request) -> Viewer | None:
    """The signed-in user, checked against the database on every request: a deactivated
    account or a changed password ends the session at once."""
    cached: Viewer | object | None = getattr(request.state, "icomm_viewer", _UNSET)
    if cached is not _UNSET:
        return cached if isinstance(cached, Viewer) else None
    web = context_of(request)
    session = request_session(request)
    viewer = None
    if session is not None and session.username is not None:
        user = await find_user(web.node, session.username)
        if (
            user is not None
            and user.active
            and web.sessions.is_current(session, user.password_hash)
        ):
            viewer = Viewer(user.username, user.display_name, user.role, web.node.id, session)
            use_locale(getattr(user, "language", None))
    request.state.icomm_viewer = viewer
    return viewer


async def require_viewer(
    viewer: Viewer | None = Depends(optional_viewer),  # noqa: B008
) -> Viewer:
    if viewer is None:
        raise WebError(401, _("Please sign in."))
    return viewer


async def require_admin(viewer: Viewer = Depends(require_viewer)) -> Viewer:  # noqa: B008
    if not viewer.is_admin:
        raise WebError(403, _("Only administrators can manage users."))
    return viewer


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token (app-wide dependency)."""
    if request.method in SAFE_METHODS or (request.method, request.url.path) in CSRF_EXEMPT:
        return
    supplied = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if supplied is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not csrf_matches(request_session(request), supplied):
        raise CsrfRefused(
            403,
            _(
                "This form has expired or did not come from Icomm. Go back, reload the page "
                "and try again."
            )
            if not is_api(request)
            else _("Missing or wrong CSRF token: send the session's token in X-CSRF-Token."),
        )


def form_session(request: Request) -> tuple[Session, bool]:
    """The session for a form shown to someone who may not be signed in: the request's,
    or a new anonymous one (True: it must be set as a cookie on the response)."""
    session = request_session(request)
    if session is not None:
        return session, False
    return context_of(request).sessions.anonymous(), True


def set_session(request: Request, response: Response, session: Session) -> None:
    response.set_cookie(**context_of(request).sessions.cookie_arguments(session))


def clear_session(request: Request, response: Response) -> None:
    web = context_of(request)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=web.sessions.secure, httponly=True, samesite="lax"
    )


def safe_next(target: str | None, default: str = "/mail/inbox") -> str:
    """A local path to go to after signing in; anything else (another site) is ignored."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
