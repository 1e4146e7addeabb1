"""The JSON API under ``/api/v1``, described by the OpenAPI document at ``/openapi.json``.

Authentication is the web app's: ``POST /api/v1/session`` with a user name and password
sets the session cookie and returns the session's CSRF token; every other state-changing
request (POST, DELETE) sends that token in the ``X-CSRF-Token`` header. Errors are
``{"detail": "…"}`` with a 4xx status (422 for a malformed request, with pydantic's
list of problems as the detail).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Path,
    Query,
    Request,
    Response,
    Security,
    UploadFile,
)
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie, APIKeyHeader

from hub.errors import HubError
from hub.web.auth import (
    Viewer,
    WebError,
    clear_session,
    client_address,
    context_of,
    find_user,
    require_viewer,
    set_session,
)
from hub.web.mail_views import DOWNLOAD_HEADERS
from hub.web.mailing import (
    ComposeError,
    Draft,
    Upload,
    allowance,
    content_disposition,
    listing,
    send_draft,
    too_large_problem,
)
from hub.web.rendering import _, ngettext
from hub.web.schemas import (
    AttachmentInfo,
    DeliveryCounts,
    DeliveryInfo,
    Me,
    MessageDetail,
    MessageSummary,
    NewMessage,
    Problem,
    SessionInfo,
    SignIn,
    Submitted,
)
from hub.web.security import CSRF_HEADER, SESSION_COOKIE
from message_schemas import HandlingCode, Mail
from message_schemas.fields import MessageId
from message_schemas.vocabulary import InformationEvaluation, SourceEvaluation

cookie_auth = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The session cookie set by POST /api/v1/session (or the web sign-in form).",
)
csrf_header = APIKeyHeader(
    name=CSRF_HEADER,
    auto_error=False,
    description="The session's CSRF token (from POST /api/v1/session or GET /api/v1/me), "
    "required on every POST and DELETE.",
)


async def api_viewer(
    _cookie: str | None = Security(cookie_auth),
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Viewer:
    return viewer


Signed = Annotated[Viewer, Depends(api_viewer)]
Id = Annotated[MessageId, Path(description="A message id: 32 lowercase hex digits.")]


ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404, 413, 429)
}


router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.post("/session", response_model=SessionInfo, tags=["session"])
async def sign_in(request: Request, credentials: SignIn) -> Response:
    """Sign in: sets the session cookie; the answer carries the CSRF token."""
    web = context_of(request)
    username = credentials.username.strip().lower()
    address = client_address(request)
    wait = web.limiter.locked_for(username, address)
    if wait > 0:
        raise WebError(
            429,
            ngettext(
                "Too many failed sign-ins: try again in %(num)s minute.",
                "Too many failed sign-ins: try again in %(num)s minutes.",
                max(1, math.ceil(wait / 60)),
            ),
            headers={"Retry-After": str(int(wait) + 1)},
        )
    account = await web.node.accounts.authenticate(username, credentials.password)
    user = await find_user(web.node, username) if account is not None else None
    if user is None:
        web.limiter.failed(username, address)
        raise WebError(401, _("Wrong user name or password."))
    web.limiter.succeeded(username)
    session = web.sessions.signed_in(user.username, user.password_hash)
    info = SessionInfo(
        username=user.username,
        address=f"{user.username}@{web.node.id}",
        csrf_token=session.csrf_token,
    )
    response = JSONResponse(info.model_dump())
    set_session(request, response, session)
    return response


@router.delete("/session", status_code=204, tags=["session"], dependencies=[Security(csrf_header)])
async def sign_out(request: Request, viewer: Signed) -> Response:
    """Sign out: the cookie is cleared."""
    response = Response(status_code=204)
    clear_session(request, response)
    return response


@router.get("/me", response_model=Me, tags=["session"])
async def me(request: Request, viewer: Signed) -> Me:
    node = context_of(request).node
    return Me(
        username=viewer.username,
        address=viewer.address,
        csrf_token=viewer.session.csrf_token,
        display_name=viewer.display_name,
        role=viewer.role,
        node=node.id,
        unread=await node.mailbox.unread_count(viewer.username),
    )


@router.get("/mailbox/{folder}", response_model=list[MessageSummary], tags=["mail"])
async def mailbox(
    request: Request,
    viewer: Signed,
    folder: Literal["inbox", "sent"],
    q: Annotated[
        str,
        Query(
            max_length=200,
            description="Words that must all be in the subject, sender, recipients or text "
            "(the last one may be the start of a word, from three characters).",
        ),
    ] = "",
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MessageSummary]:
    """A folder, newest first; ``q`` keeps the messages holding every word of it."""
    lines = await listing(
        context_of(request).node,
        viewer.username,
        folder,
        search=q,
        unread_only=unread_only,
        limit=limit,
    )
    return [
        MessageSummary(
            id=line.item.message.id,
            type=line.item.message.type,
            sender=line.item.message.sender,
            to=list(line.item.message.recipients),
            subject=line.item.message.subject,
            created=line.item.message.created,
            thread_id=line.item.message.thread_id,
            read=not line.unread,
            attachments=line.attachments,
            delivery=DeliveryCounts(**line.delivery) if folder == "sent" else None,
        )
        for line in lines
    ]


@router.get("/messages/{message_id}", response_model=MessageDetail, tags=["mail"])
async def message(
    request: Request, viewer: Signed, message_id: Id, mark_read: bool = True
) -> MessageDetail:
    """One message of the user's mailbox (opening it marks it read, unless asked not to)."""
    node = context_of(request).node
    try:
        opened = await node.mailbox.open(viewer.username, message_id, mark_read=mark_read)
    except HubError as exc:
        raise WebError(404, _("There is no such message in your mailbox.")) from exc
    found = opened.message
    detail = MessageDetail(
        id=found.id,
        type=found.type,
        sender=found.sender,
        to=list(found.to),
        created=found.created,
        folders=sorted(await node.mailbox.folders_of(viewer.username, message_id)),
        read_at=opened.read_at,
    )
    if not isinstance(found, Mail):
        return detail.model_copy(update={"content": found.model_dump(mode="json", by_alias=True)})
    return detail.model_copy(
        update={
            "subject": found.subject,
            "body": found.body,
            "has_html": bool(found.body_html),
            "thread_id": found.thread_id,
            "in_reply_to": found.in_reply_to,
            "handling_code": found.handling_code.value,
            "source_evaluation": found.source_evaluation,
            "information_evaluation": found.information_evaluation,
            "attachments": [
                AttachmentInfo(
                    index=n,
                    filename=a.filename,
                    media_type=a.media_type,
                    size=a.size,
                    sha256=a.sha256,
                    url=str(request.url_for("api_attachment", message_id=message_id, position=n)),
                )
                for n, a in enumerate(found.attachments)
            ],
        }
    )


@router.get(
    "/messages/{message_id}/attachments/{position}",
    name="api_attachment",
    tags=["mail"],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
)
async def attachment(
    request: Request, viewer: Signed, message_id: Id, position: Annotated[int, Path(ge=0)]
) -> Response:
    """An attachment's bytes, as sent (0 is the first attachment)."""
    try:
        found = await context_of(request).node.mailbox.attachment(
            viewer.username, message_id, position
        )
    except HubError as exc:
        raise WebError(404, _("There is no such attachment in your mailbox.")) from exc
    headers = {**DOWNLOAD_HEADERS, "Content-Disposition": content_disposition(found.filename)}
    return Response(found.content, media_type=found.media_type, headers=headers)


@router.get("/messages/{message_id}/deliveries", response_model=list[DeliveryInfo], tags=["mail"])
async def deliveries(request: Request, viewer: Signed, message_id: Id) -> list[DeliveryInfo]:
    """Per recipient of a message the user sent: pending, delivered or failed, and why."""
    node = context_of(request).node
    if not await node.mailbox.folders_of(viewer.username, message_id):
        raise WebError(404, _("There is no such message in your mailbox."))
    return [
        DeliveryInfo(address=d.address, status=d.status, reason=d.reason, updated_at=d.updated_at)
        for d in await node.mailbox.deliveries(message_id)
    ]


async def _send(request: Request, viewer: Viewer, draft: Draft, uploads: list[Upload]) -> Submitted:
    try:
        sent = await send_draft(context_of(request).node, viewer.username, draft, uploads)
    except ComposeError as exc:
        raise WebError(413 if exc.too_large else 400, " ".join(exc.problems)) from exc
    return Submitted(id=sent.id, thread_id=sent.thread_id, to=list(sent.to), created=sent.created)


@router.post(
    "/messages",
    status_code=201,
    response_model=Submitted,
    tags=["mail"],
    dependencies=[Security(csrf_header)],
)
async def send_json(request: Request, viewer: Signed, new: NewMessage) -> Submitted:
    """Send a mail; attachments travel as base64 in the JSON."""
    draft = Draft(
        to=", ".join(new.to),
        subject=new.subject,
        body=new.body,
        handling_code=new.handling_code.value,
        source_evaluation=new.source_evaluation or "",
        information_evaluation=new.information_evaluation or "",
        in_reply_to=new.in_reply_to or "",
    )
    uploads = [Upload(a.filename, a.content, a.media_type) for a in new.attachments]
    return await _send(request, viewer, draft, uploads)


@router.post(
    "/messages/upload",
    status_code=201,
    response_model=Submitted,
    tags=["mail"],
    dependencies=[Security(csrf_header)],
)
async def send_multipart(
    request: Request,
    viewer: Signed,
    to: Annotated[list[str], Form(description="Repeat the field, or separate with commas.")],
    subject: Annotated[str, Form(max_length=998)] = "",
    body: Annotated[str, Form()] = "",
    handling_code: Annotated[HandlingCode, Form()] = HandlingCode.H1,
    source_evaluation: Annotated[SourceEvaluation | None, Form()] = None,
    information_evaluation: Annotated[InformationEvaluation | None, Form()] = None,
    in_reply_to: Annotated[MessageId | None, Form()] = None,
    attachments: Annotated[list[UploadFile] | None, File()] = None,
) -> Submitted:
    """Send a mail as multipart/form-data, attachments as files."""
    files = [f for f in attachments or [] if f.filename]
    node = context_of(request).node
    declared = sum(f.size or 0 for f in files)
    if declared > allowance(node):
        raise WebError(413, too_large_problem(node, declared))
    draft = Draft(
        to=", ".join(to),
        subject=subject,
        body=body,
        handling_code=handling_code.value,
        source_evaluation=source_evaluation or "",
        information_evaluation=information_evaluation or "",
        in_reply_to=in_reply_to or "",
    )
    uploads = [Upload(f.filename or "", await f.read(), f.content_type) for f in files]
    return await _send(request, viewer, draft, uploads)
