"""The web app: server-rendered pages for officers and administrators, and the JSON API.

``create_app(node)`` takes a node that is already open and returns the ASGI app; it
has no lifespan of its own (the node's is the process's). :class:`hub.web.server.WebServer`
runs it with uvicorn in the node's event loop. No JavaScript is needed: pages are
plain HTML forms with one hand-written stylesheet, served from ``/static``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import AddressError, HubError, PermissionDenied
from hub.web import (
    api,
    case_api,
    case_views,
    cen_views,
    mail_views,
    pages,
    party_views,
    photo_views,
    preferences,
)
from hub.web.auth import (
    CsrfRefused,
    WebContext,
    WebError,
    check_csrf,
    is_api,
    optional_viewer,
)
from hub.web.rendering import N_, STATIC, BrowserLanguage, Renderer, _
from hub.web.security import Clock, LoginLimiter, PasswordLinks, Sessions, ensure_secret_key

if TYPE_CHECKING:
    from hub.node import Node

API_DESCRIPTION = """\
The JSON API of an Icomm node: the signed-in user's mailbox, reading and sending mail;
the case store's seizure cases and their validation; the transmission to the WCO's CEN.

**Authentication.** `POST /api/v1/session` with `{"username", "password"}` sets the
session cookie (`icomm_session`: HttpOnly, SameSite=Lax, Secure) and returns the
session's `csrf_token`. Send the cookie with every request, and the token in the
`X-CSRF-Token` header with every POST and DELETE. A session ends after 12 hours, when
the user signs out (`DELETE /api/v1/session`), is deactivated, or has their password
reset. Five failed sign-ins for one user (or twenty from one address) within 15
minutes pause signing in for 15 minutes (429).

**Errors** are `{"detail": "…"}` with a 4xx status; 422 is a malformed request, its
detail pydantic's list of problems, or a case that fails the quality checks, its detail
every problem as `{"field", "message"}`.
"""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    """Headers on every response: no framing, no sniffing, no referrer (password links
    travel in URLs), no scripts at all, and no caching of anything but the stylesheet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses a request body larger than a mail can be (413) before anything reads it,
    and one of unknown length (411): uploads are spooled to disk as they arrive."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in {"GET", "HEAD", "OPTIONS"}:
            headers = Headers(scope=scope)
            length = headers.get("content-length")
            problem = None
            if length is None and "chunked" in headers.get("transfer-encoding", "").lower():
                problem = 411, N_("Send the request with a Content-Length.")
            elif length is not None and (not length.isdigit() or int(length) > self.limit):
                problem = (
                    413,
                    N_(
                        "The request is larger than this node accepts: go back, and attach fewer "
                        "or smaller files."
                    ),
                )
            if problem is not None:
                status, detail = problem[0], _(problem[1])
                response: Response = (
                    JSONResponse({"detail": detail}, status_code=status)
                    if str(scope.get("path", "")).startswith("/api/")
                    else PlainTextResponse(detail, status_code=status)
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    node: Node, *, clock: Clock | None = None, secure_cookies: bool | None = None
) -> FastAPI:
    """The web app of an open node. ``clock`` (seconds, like ``time.time``) is for tests;
    ``secure_cookies`` overrides ``ICOMM_WEB_SECURE_COOKIES``."""
    key = ensure_secret_key(node.settings.data_dir)
    secure = node.settings.web_secure_cookies if secure_cookies is None else secure_cookies
    sessions = Sessions(key, secure=secure, clock=clock or time.time)
    app = FastAPI(
        title="Icomm",
        version="1",
        description=API_DESCRIPTION,
        docs_url=None,  # Swagger UI and ReDoc load scripts from CDNs: not here
        redoc_url=None,
        openapi_url="/openapi.json",
        # the reader's language is known before anything is said, a refused form included
        dependencies=[Depends(optional_viewer), Depends(check_csrf)],
    )
    app.state.icomm = WebContext(
        node=node,
        renderer=Renderer(),
        sessions=sessions,
        links=PasswordLinks(key, sessions, clock=clock or time.time),
        limiter=LoginLimiter(clock=clock or time.monotonic),
    )
    app.include_router(pages.router)
    app.include_router(mail_views.router)
    app.include_router(case_views.router)
    app.include_router(photo_views.router)
    app.include_router(party_views.router)
    app.include_router(cen_views.router)
    app.include_router(api.router)
    app.include_router(case_api.router)
    app.include_router(preferences.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # a mail's files, base64 in JSON or raw in a form, plus room for the rest of the form
    app.add_middleware(BodyLimit, limit=node.settings.max_message_bytes + 2**20)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BrowserLanguage)
    app.add_exception_handler(WebError, _web_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HubError, _hub_error)  # type: ignore[arg-type]
    return app


async def _error_page(request: Request, status_code: int, message: str) -> Response:
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    titles = {401: _("Please sign in"), 403: _("Not allowed"), 404: _("Not found")}
    viewer = await optional_viewer(request)
    context = {"title": titles.get(status_code, _("Something is wrong")), "message": message}
    return await pages.render_page(
        request, "error.html", context, viewer=viewer, status_code=status_code
    )


async def _web_error(request: Request, exc: WebError) -> Response:
    if isinstance(exc, CsrfRefused) and request.url.path == "/login":
        error = _("The sign-in form had expired. Please sign in again.")
        context = {"next": "/mail/inbox", "error": error, "username": ""}
        return await pages.render_page(request, "login.html", context, status_code=403)
    if exc.status_code == 401 and not is_api(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    response = await _error_page(request, exc.status_code, exc.detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _http_error(request: Request, exc: HTTPException) -> Response:
    await optional_viewer(request)  # an address without a route: the reader's language
    messages = {
        404: _("There is nothing at this address."),
        405: _("This address does not take that kind of request."),
    }
    return await _error_page(request, exc.status_code, messages.get(exc.status_code, exc.detail))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if is_api(request):
        return await request_validation_exception_handler(request, exc)
    return await _error_page(request, 400, _("The request was incomplete or malformed."))


async def _hub_error(request: Request, exc: HubError) -> Response:
    status = (
        404 if isinstance(exc, AddressError) else 403 if isinstance(exc, PermissionDenied) else 400
    )
    return await _error_page(request, status, str(exc))
