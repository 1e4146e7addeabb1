"""The mail pages: folders (with search), one message (read state, attachments, delivery
receipts, its conversation), writing a mail and replying."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from hub.errors import HubError
from hub.web.auth import Viewer, WebError, context_of, require_viewer
from hub.web.mailing import (
    FOLDERS,
    HANDLING_CODES,
    INFORMATION_EVALUATIONS,
    SOURCE_EVALUATIONS,
    ComposeError,
    Draft,
    Upload,
    allowance,
    content_disposition,
    delivery_text,
    display_names,
    listing,
    reply_draft,
    send_draft,
    too_large_problem,
)
from hub.web.pages import render_page
from hub.web.rendering import _, format_filesize
from message_schemas import Mail

router = APIRouter(include_in_schema=False)

MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
}
"""Downloads are never rendered as pages of this site (an attachment may be HTML)."""


def checked_id(message_id: str) -> str:
    if not MESSAGE_ID.match(message_id):
        raise WebError(404, _("There is no such message in your mailbox."))
    return message_id


def who(address: str, names: dict[str, str]) -> str:
    """A user of this node's display name (e.g. Nino Beridze), else the address."""
    return names.get(address, address)


@router.get("/mail/{folder}")
async def folder_page(
    request: Request,
    folder: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    if folder not in FOLDERS:
        raise WebError(404, _("There is no such folder."))
    node = context_of(request).node
    query = request.query_params.get("q", "").strip()[:200]
    names = await display_names(node)
    rows = []
    for line in await listing(node, viewer.username, folder, search=query):
        message = line.item.message
        people = message.recipients if folder == "sent" else [message.sender]
        rows.append(
            {
                "id": message.id,
                "unread": line.unread,
                "who": ", ".join(who(a, names) for a in people),
                "addresses": ", ".join(people),
                "subject": message.subject or "",
                "type": message.type,
                "created": message.created,
                "attachments": line.attachments,
                "delivery": delivery_text(line.delivery),
                "failed": bool(line.delivery.get("failed")),
            }
        )
    context = {"folder": folder, "folder_label": _(FOLDERS[folder]), "rows": rows, "q": query}
    return await render_page(request, "folder.html", context, viewer=viewer, section=folder)


@router.get("/messages/{message_id}")
async def message_page(
    request: Request,
    message_id: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    node = context_of(request).node
    message_id = checked_id(message_id)
    try:
        opened = await node.mailbox.open(viewer.username, message_id)
    except HubError as exc:
        raise WebError(404, _("There is no such message in your mailbox.")) from exc
    message = opened.message
    folders = await node.mailbox.folders_of(viewer.username, message_id)
    deliveries = await node.mailbox.deliveries(message_id) if "sent" in folders else []
    thread_id = getattr(message, "thread_id", None)
    thread = await node.mailbox.thread(viewer.username, thread_id) if thread_id else []
    names = await display_names(node)
    is_mail = isinstance(message, Mail)
    details = ""
    if not is_mail:
        details = json.dumps(
            message.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False
        )
    context: dict[str, Any] = {
        "message": message,
        "is_mail": is_mail,
        "sender": who(message.sender, names),
        "recipients": [(a, who(a, names)) for a in message.to],
        "subject": getattr(message, "subject", "") or "",
        "attachments": [
            (n, a.filename, format_filesize(a.size), a.media_type)
            for n, a in enumerate(getattr(message, "attachments", []))
        ],
        "has_html": bool(getattr(message, "body_html", None)),
        "handling": dict(HANDLING_CODES).get(str(getattr(message, "handling_code", "")), ""),
        "source": dict(SOURCE_EVALUATIONS).get(str(getattr(message, "source_evaluation", ""))),
        "information": dict(INFORMATION_EVALUATIONS).get(
            str(getattr(message, "information_evaluation", ""))
        ),
        "deliveries": deliveries,
        "thread": thread if len(thread) > 1 else [],
        "names": names,
        "details": details,
        "back": "sent" if folders == {"sent"} else "inbox",
    }
    section = context["back"]
    return await render_page(request, "message.html", context, viewer=viewer, section=section)


@router.get("/messages/{message_id}/attachments/{position}")
async def attachment_download(
    request: Request,
    message_id: str,
    position: int,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    try:
        attachment = await context_of(request).node.mailbox.attachment(
            viewer.username, checked_id(message_id), position
        )
    except HubError as exc:
        raise WebError(404, _("There is no such attachment in your mailbox.")) from exc
    headers = {**DOWNLOAD_HEADERS, "Content-Disposition": content_disposition(attachment.filename)}
    return Response(attachment.content, media_type=attachment.media_type, headers=headers)


@router.get("/messages/{message_id}/html")
async def html_download(
    request: Request,
    message_id: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    """The HTML version of a mail, as a file: it is never shown inside Icomm."""
    try:
        opened = await context_of(request).node.mailbox.open(
            viewer.username, checked_id(message_id), mark_read=False
        )
    except HubError as exc:
        raise WebError(404, _("There is no such message in your mailbox.")) from exc
    html = getattr(opened.message, "body_html", None)
    if not html:
        raise WebError(404, _("This message has no HTML version."))
    headers = {**DOWNLOAD_HEADERS, "Content-Disposition": content_disposition("message.html")}
    return Response(html.encode(), media_type="text/html; charset=utf-8", headers=headers)


async def _compose_page(
    request: Request,
    viewer: Viewer,
    draft: Draft,
    *,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "draft": draft,
        "problems": problems or [],
        "handling_codes": HANDLING_CODES,
        "source_evaluations": SOURCE_EVALUATIONS,
        "information_evaluations": INFORMATION_EVALUATIONS,
        "max_size": format_filesize(allowance(context_of(request).node)),
    }
    return await render_page(
        request, "compose.html", context, viewer=viewer, status_code=status_code, section="compose"
    )


@router.get("/compose")
async def compose_form(
    request: Request,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    params = request.query_params
    draft = Draft(to=params.get("to", "")[:2000])
    if params.get("reply"):
        try:
            opened = await context_of(request).node.mailbox.open(
                viewer.username, checked_id(params["reply"]), mark_read=False
            )
        except HubError as exc:
            raise WebError(404, _("There is no such message in your mailbox.")) from exc
        draft = reply_draft(opened, viewer.address, reply_all=params.get("all") == "1")
    return await _compose_page(request, viewer, draft)


@router.post("/compose")
async def compose(
    request: Request,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    node = context_of(request).node
    form = await request.form()
    fields = {name: str(form.get(name, "")) for name in Draft.__dataclass_fields__}
    draft = Draft(**fields)
    files = [f for f in form.getlist("attachments") if isinstance(f, UploadFile) and f.filename]
    declared = sum(f.size or 0 for f in files)
    if declared > allowance(node):
        problem = too_large_problem(node, declared)
        problems = [problem, _("Choose the attachments again: they are not kept.")]
        return await _compose_page(request, viewer, draft, problems=problems, status_code=413)
    uploads = [Upload(f.filename or "", await f.read(), f.content_type) for f in files]
    try:
        sent = await send_draft(node, viewer.username, draft, uploads)
    except ComposeError as exc:
        if uploads:
            exc.problems.append(_("Choose the attachments again: they are not kept."))
        status = 413 if exc.too_large else 400
        return await _compose_page(
            request, viewer, draft, problems=exc.problems, status_code=status
        )
    return RedirectResponse(f"/messages/{sent.id}?notice=sent", status_code=303)
