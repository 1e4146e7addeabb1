"""The case store's JSON API under ``/api/v1``: cases and their validation, and the CEN.

Beside the pages and with the same rules: officers and admins enter and submit cases (an
officer only their own), admins validate, return, reopen and transmit to the CEN, analysts
read; a partner's case is read-only. Authentication and CSRF are the rest of the API's
(:mod:`hub.web.api`). A case that fails the quality checks is answered 422 with every
problem (``{"detail": [{"field", "message"}, …]}``); other refusals are
``{"detail": "…"}``: 403 (who), 404, 409 (the case's state).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, Security
from fastapi.responses import JSONResponse

from adapters.casestore import CaseStore, CaseView
from adapters.errors import CaseError, QualityError
from adapters.reference import reference
from hub.web.api import ERRORS, Signed, csrf_header
from hub.web.auth import Viewer, WebError
from hub.web.case_schemas import (
    CaseDetail,
    CaseSummary,
    CenPending,
    CenPreview,
    CenSent,
    FieldProblem,
    QualityProblems,
    ReopenReason,
    ReturnReasons,
    Status,
    Step,
)
from hub.web.casework import (
    allowed_actions,
    case_for,
    case_store,
    cen_link,
    check_case_admin,
    check_entering,
    find_cases,
    load_case,
    refused,
)
from hub.web.rendering import _
from message_schemas import NOMINAL, Seizure
from message_schemas.case_records import RecordRef

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Ref = Annotated[RecordRef, Path(description="A case's reference: 32 lowercase hex digits.")]
CHECKED = {422: {"model": QualityProblems, "description": "Every quality problem at once."}}
WRITE = [Security(csrf_header)]


async def _detail(store: CaseStore, viewer: Viewer, case: CaseView) -> CaseDetail:
    return CaseDetail(
        **CaseSummary.of(case).model_dump(),
        handling_code=case.handling_code,
        validated_at=case.validated_at,
        seizure=case.seizure,
        history=[Step.of(row) for row in await store.history(case.ref)],
        actions=allowed_actions(viewer, case),
    )


async def _checked(step: Awaitable[CaseView]) -> CaseView | JSONResponse:
    """The case after a step of the store; a failed quality check as 422 with its problems."""
    try:
        return await step
    except QualityError as exc:
        problems = [FieldProblem(field=p.field, message=p.message) for p in exc.problems]
        return JSONResponse(QualityProblems(detail=problems).model_dump(), status_code=422)
    except CaseError as exc:
        raise refused(exc) from exc


def _same_photos(seizure: Seizure, case: CaseView | None) -> None:
    """Photos are uploaded on the case's page: a record may keep or drop them, not add any."""
    known = set(case.seizure.photos) if case is not None else set()
    if any(photo not in known for photo in seizure.photos):
        raise WebError(400, _("Photos are added by uploading them on the case's page."))


@router.get("/cases", response_model=list[CaseSummary], tags=["cases"])
async def list_cases(
    request: Request,
    viewer: Signed,
    status: Status | None = None,
    origin: Annotated[
        str | None,
        Query(pattern="^(own|foreign)$", description="own: this node's; foreign: partners'."),
    ] = None,
    category: Annotated[str | None, Query(description="A commodity category code.")] = None,
    q: Annotated[str, Query(max_length=200, description="Number, office, texts contain.")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CaseSummary]:
    """The cases at this node, newest first."""
    if category is not None and category not in reference("commodity_categories"):
        raise WebError(400, _("“%(code)s” is not a commodity category.", code=category))
    cases = await find_cases(
        case_store(request), status=status, origin=origin, category=category, text=q, limit=limit
    )
    return [CaseSummary.of(case) for case in cases]


@router.post(
    "/cases",
    status_code=201,
    response_model=CaseDetail,
    responses=CHECKED,
    tags=["cases"],
    dependencies=WRITE,
)
async def create_case(request: Request, viewer: Signed, seizure: Seizure) -> Response | CaseDetail:
    """File a new case as a draft: it may be incomplete until it is submitted."""
    check_entering(viewer)
    _same_photos(seizure, None)
    store = case_store(request)
    case = await _checked(store.create(viewer.username, seizure))
    return case if isinstance(case, JSONResponse) else await _detail(store, viewer, case)


@router.get("/cases/{ref}", response_model=CaseDetail, tags=["cases"])
async def get_case(request: Request, viewer: Signed, ref: Ref) -> CaseDetail:
    """A case with its history, and what the signed-in user may do to it."""
    store = case_store(request)
    return await _detail(store, viewer, await load_case(store, ref))


@router.put(
    "/cases/{ref}",
    response_model=CaseDetail,
    responses=CHECKED,
    tags=["cases"],
    dependencies=WRITE,
)
async def update_case(
    request: Request, viewer: Signed, ref: Ref, seizure: Seizure
) -> Response | CaseDetail:
    """Replace a draft or returned case's record (its officer or an admin)."""
    store = case_store(request)
    case = await case_for(store, viewer, ref, "edit")
    _same_photos(seizure, case)
    updated = await _checked(store.update(viewer.username, ref, seizure))
    return updated if isinstance(updated, JSONResponse) else await _detail(store, viewer, updated)


@router.post(
    "/cases/{ref}/submit",
    response_model=CaseDetail,
    responses=CHECKED,
    tags=["cases"],
    dependencies=WRITE,
)
async def submit_case(request: Request, viewer: Signed, ref: Ref) -> Response | CaseDetail:
    """Send a case for validation; refused (422) with every quality problem if it has any."""
    store = case_store(request)
    await case_for(store, viewer, ref, "submit")
    case = await _checked(store.submit(viewer.username, ref))
    return case if isinstance(case, JSONResponse) else await _detail(store, viewer, case)


@router.post("/cases/{ref}/validate", response_model=CaseDetail, tags=["cases"], dependencies=WRITE)
async def validate_case(request: Request, viewer: Signed, ref: Ref) -> CaseDetail:
    """Validate a submitted case (admins): it becomes a new revision."""
    store = case_store(request)
    check_case_admin(viewer)
    await case_for(store, viewer, ref, "validate")
    try:
        case = await store.validate(viewer.username, ref)
    except CaseError as exc:
        raise refused(exc) from exc
    return await _detail(store, viewer, case)


@router.post("/cases/{ref}/return", response_model=CaseDetail, tags=["cases"], dependencies=WRITE)
async def return_case(
    request: Request, viewer: Signed, ref: Ref, body: ReturnReasons
) -> CaseDetail:
    """Return a submitted case to its officer with what to correct (admins)."""
    store = case_store(request)
    check_case_admin(viewer)
    await case_for(store, viewer, ref, "return")
    try:
        case = await store.return_case(viewer.username, ref, body.reasons)
    except CaseError as exc:
        raise refused(exc) from exc
    return await _detail(store, viewer, case)


@router.post("/cases/{ref}/reopen", response_model=CaseDetail, tags=["cases"], dependencies=WRITE)
async def reopen_case(request: Request, viewer: Signed, ref: Ref, body: ReopenReason) -> CaseDetail:
    """Reopen a validated case for correction (admins); its next validation supersedes it."""
    store = case_store(request)
    check_case_admin(viewer)
    await case_for(store, viewer, ref, "reopen")
    try:
        case = await store.reopen(viewer.username, ref, body.reason)
    except CaseError as exc:
        raise refused(exc) from exc
    return await _detail(store, viewer, case)


@router.get("/cen/pending", response_model=CenPreview, tags=["cen"])
async def cen_pending(request: Request, viewer: Signed) -> CenPreview:
    """What the next transmission sends to cen@wco (admins), and what never leaves."""
    check_case_admin(viewer)
    pending = await cen_link(request).pending()
    return CenPreview(
        pending=[
            CenPending(
                case_ref=t.case_ref,
                case_number=t.case_number,
                revision=t.revision,
                message=t.message,
            )
            for t in pending
        ],
        never_leaves=sorted(
            f"{record}.{name}" for record, names in NOMINAL.items() for name in names
        ),
    )


@router.post("/cen/transmit", response_model=CenSent, tags=["cen"], dependencies=WRITE)
async def cen_transmit(request: Request, viewer: Signed) -> CenSent:
    """Send every validated seizure not yet sent to the WCO's CEN (admins)."""
    check_case_admin(viewer)
    try:
        sent = await cen_link(request).transmit(viewer.username)
    except CaseError as exc:
        raise refused(exc) from exc
    return CenSent(sent=len(sent), cases=[t.case_ref for t in sent])
