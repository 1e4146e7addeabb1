"""A case's concealment photos: uploading one, showing one, removing one.

Only those who may edit the case add or remove photos (its officer or an admin, while it
is a draft or returned); everyone signed in may see them. A photo is served only as part
of its case, as the image type it was recognised as.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from adapters.casestore import CaseView
from adapters.errors import CaseError
from hub.web.auth import Viewer, WebError, context_of, require_viewer
from hub.web.case_views import show_case
from hub.web.casework import case_for, case_store, load_case, refused
from hub.web.mail_views import DOWNLOAD_HEADERS
from hub.web.mailing import safe_filename
from hub.web.photos import PHOTO_MAX_BYTES, image_type, photo_limit
from hub.web.rendering import _
from message_schemas import Photo, Seizure
from storage import StorageError

router = APIRouter(include_in_schema=False)

DIGEST = re.compile(r"^[0-9a-f]{64}$")


@router.post("/cases/{ref}/photos")
async def add_photo(
    request: Request,
    ref: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    store = case_store(request)
    case = await case_for(store, viewer, ref, "edit")
    upload = (await request.form()).get("photo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _refuse(request, viewer, case, _("Choose a photo to upload."), 400)
    if (upload.size or 0) > PHOTO_MAX_BYTES:
        return await _too_large(request, viewer, case)
    content = await upload.read(PHOTO_MAX_BYTES + 1)
    if len(content) > PHOTO_MAX_BYTES:
        return await _too_large(request, viewer, case)
    media_type = image_type(content)
    if media_type is None:
        problem = _("This file is not a JPEG, PNG, GIF or WebP image: only photos are kept here.")
        return await _refuse(request, viewer, case, problem, 415)
    digest = context_of(request).node.blobs.put(content)
    photo = Photo(
        sha256=digest, filename=safe_filename(upload.filename)[:300], media_type=media_type
    )
    kept = [p for p in case.seizure.photos if p.sha256 != digest]
    await _save_photos(request, viewer, case, [*kept, photo])
    return RedirectResponse(f"/cases/{ref}?done=photo-added#photos-title", status_code=303)


@router.post("/cases/{ref}/photos/{digest}/remove")
async def remove_photo(
    request: Request,
    ref: str,
    digest: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    store = case_store(request)
    case = await case_for(store, viewer, ref, "edit")
    _photo_of(case, digest)
    await _save_photos(
        request, viewer, case, [p for p in case.seizure.photos if p.sha256 != digest]
    )
    return RedirectResponse(f"/cases/{ref}?done=photo-removed#photos-title", status_code=303)


@router.get("/cases/{ref}/photos/{digest}")
async def photo(
    request: Request,
    ref: str,
    digest: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    found = _photo_of(await load_case(case_store(request), ref), digest)
    try:
        content = context_of(request).node.blobs.get(found.sha256)
    except StorageError as exc:  # a partner's case: its photos stay at its node
        raise WebError(404, _("This photo is not kept at this node.")) from exc
    return Response(content, media_type=found.media_type, headers=DOWNLOAD_HEADERS)


def _photo_of(case: CaseView, digest: str) -> Photo:
    if DIGEST.match(digest):
        for photo in case.seizure.photos:
            if photo.sha256 == digest:
                return photo
    raise WebError(404, _("This case has no such photo."))


async def _save_photos(
    request: Request, viewer: Viewer, case: CaseView, photos: list[Photo]
) -> None:
    seizure = Seizure.model_validate({**case.seizure.model_dump(), "photos": photos})
    try:
        await case_store(request).update(viewer.username, case.ref, seizure)
    except CaseError as exc:
        raise refused(exc) from exc


async def _too_large(request: Request, viewer: Viewer, case: CaseView) -> Response:
    problem = _("This photo is larger than %(size)s: send a smaller one.", size=photo_limit())
    return await _refuse(request, viewer, case, problem, 413)


async def _refuse(
    request: Request, viewer: Viewer, case: CaseView, problem: str, status_code: int
) -> Response:
    return await show_case(request, viewer, case, photo_error=problem, status_code=status_code)
