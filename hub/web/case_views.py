"""The case pages: the list of cases, entering and editing a seizure, one case with its
history, and the steps of validation (submit, validate, return with reasons, reopen)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from adapters.casestore import CaseView
from adapters.errors import CaseError, QualityError
from hub.web.auth import Viewer, require_viewer, safe_next
from hub.web.case_forms import SEIZURE_FORM, seizure_form, still_lacking, typed_seizure
from hub.web.casework import (
    ORIGINS,
    SHOWING,
    STATUSES,
    Action,
    allowed_actions,
    case_for,
    case_store,
    find_cases,
    linked_names,
    load_case,
    may_enter,
    refused,
    require_case_admin,
    require_entering,
    validation_queue,
)
from hub.web.pages import render_page
from hub.web.photos import PHOTO_TYPES, photo_limit
from hub.web.record_forms import RecordForm, added_row, choices
from hub.web.rendering import N_, _, localized

router = APIRouter(include_in_schema=False)

DONE = {
    "saved": N_("The draft is saved."),
    "submitted": N_("The case is submitted for validation."),
    "validated": N_("The case is validated."),
    "returned": N_("The case is returned to its officer with your reasons."),
    "reopened": N_("The case is reopened as a draft; its validated revision stands until then."),
    "photo-added": N_("The photo is added."),
    "photo-removed": N_("The photo is removed."),
}


def done_notice(request: Request, notices: dict[str, str]) -> dict[str, str]:
    """The page's notice for ``?done=…`` (after a redirect), if it names one."""
    notice = notices.get(request.query_params.get("done", ""))
    return {"notice": _(notice)} if notice else {}


@router.get("/cases")
async def case_list(request: Request, viewer: Viewer = Depends(require_viewer)) -> Response:  # noqa: B008
    params = request.query_params
    status = params.get("status", "")
    origin = params.get("origin", "")
    category = params.get("category", "")
    text = params.get("q", "").strip()[:200]
    cases = await find_cases(
        case_store(request),
        status=status if status in STATUSES else None,
        origin=origin or None,
        category=category or None,
        text=text,
    )
    context = {
        "cases": cases,
        "filters": {"status": status, "origin": origin, "category": category, "q": text},
        "filtered": any((status, origin, category, text)),
        "statuses": STATUSES,
        "origins": ORIGINS,
        "categories": choices(SEIZURE_FORM.row("commodities").field("category"))[0][1],
        **SHOWING,
        "may_enter": may_enter(viewer),
    }
    return await render_page(request, "cases.html", context, viewer=viewer, section="cases")


@router.get("/cases/new")
async def new_case_form(
    request: Request,
    viewer: Viewer = Depends(require_entering),  # noqa: B008
) -> Response:
    return await _form_page(request, viewer, seizure_form(), None)


@router.post("/cases/new")
async def new_case(request: Request, viewer: Viewer = Depends(require_entering)) -> Response:  # noqa: B008
    return await _save(request, viewer, None)


@router.get("/cases/queue")
async def queue_page(
    request: Request,
    viewer: Viewer = Depends(require_case_admin),  # noqa: B008
) -> Response:
    """The validation queue: submitted cases, the longest waiting first."""
    context = {"cases": await validation_queue(case_store(request)), **SHOWING}
    context |= done_notice(request, DONE)
    return await render_page(request, "case_queue.html", context, viewer=viewer, section="queue")


@router.get("/cases/{ref}")
async def case_page(
    request: Request,
    ref: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    case = await load_case(case_store(request), ref)
    return await show_case(request, viewer, case, **done_notice(request, DONE))


@router.get("/cases/{ref}/edit")
async def edit_case_form(
    request: Request,
    ref: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    case = await case_for(case_store(request), viewer, ref, "edit")
    return await _form_page(request, viewer, seizure_form(case.seizure), case)


@router.post("/cases/{ref}/edit")
async def edit_case(
    request: Request,
    ref: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    case = await case_for(case_store(request), viewer, ref, "edit")
    return await _save(request, viewer, case)


@router.post("/cases/{ref}/submit")
async def submit_case(
    request: Request,
    ref: str,
    viewer: Viewer = Depends(require_viewer),  # noqa: B008
) -> Response:
    store = case_store(request)
    case = await case_for(store, viewer, ref, "submit")
    try:
        await store.submit(viewer.username, ref)
    except QualityError as exc:
        form = seizure_form(case.seizure)
        form.add_problems(exc.problems)
        headline = _("This case cannot be submitted yet. Correct these and submit again:")
        return await _form_page(request, viewer, form, case, headline=headline, status_code=400)
    except CaseError as exc:
        raise refused(exc) from exc
    return _after(request, ref, "submitted", await request.form())


@router.post("/cases/{ref}/validate")
async def validate_case(
    request: Request,
    ref: str,
    viewer: Viewer = Depends(require_case_admin),  # noqa: B008
) -> Response:
    store = case_store(request)
    await case_for(store, viewer, ref, "validate")
    try:
        await store.validate(viewer.username, ref)
    except CaseError as exc:
        raise refused(exc) from exc
    return _after(request, ref, "validated", await request.form())


@router.post("/cases/{ref}/return")
async def return_case(
    request: Request,
    ref: str,
    viewer: Viewer = Depends(require_case_admin),  # noqa: B008
) -> Response:
    store = case_store(request)
    case = await case_for(store, viewer, ref, "return")
    form = await request.form()
    reasons = [line.strip() for line in str(form.get("reasons", "")).splitlines() if line.strip()]
    if not reasons:
        error = _("Say why the case goes back: write at least one reason.")
        return await show_case(request, viewer, case, return_error=error, status_code=400)
    try:
        await store.return_case(viewer.username, ref, reasons)
    except CaseError as exc:
        raise refused(exc) from exc
    return _after(request, ref, "returned", form)


@router.post("/cases/{ref}/reopen")
async def reopen_case(
    request: Request,
    ref: str,
    viewer: Viewer = Depends(require_case_admin),  # noqa: B008
) -> Response:
    store = case_store(request)
    case = await case_for(store, viewer, ref, "reopen")
    form = await request.form()
    reason = " ".join(str(form.get("reason", "")).split())
    if not reason:
        error = _("Say why the case needs correcting.")
        return await show_case(request, viewer, case, reopen_error=error, status_code=400)
    try:
        await store.reopen(viewer.username, ref, reason)
    except CaseError as exc:
        raise refused(exc) from exc
    return _after(request, ref, "reopened", form)


def _after(request: Request, ref: str, done: str, form: FormData) -> Response:
    """Back to the case, or to the page the form came from (the validation queue)."""
    target = safe_next(str(form.get("next", "")), f"/cases/{ref}")
    return RedirectResponse(f"{target}?done={done}", status_code=303)


async def show_case(
    request: Request,
    viewer: Viewer,
    case: CaseView,
    *,
    status_code: int = 200,
    **extra: str,
) -> Response:
    """The page of one case (``extra``: a notice, or a problem beside one of its forms)."""
    store = case_store(request)
    seizure = case.seizure
    actions: list[Action] = allowed_actions(viewer, case)
    lacking = []
    if "submit" in actions:
        lacking = [
            (SEIZURE_FORM.label_of(p.field), localized(p.template, p.params))
            for p in still_lacking(seizure)
        ]
    route = seizure.route
    context = {
        "case": case,
        "seizure": seizure,
        "steps": await store.history(case.ref),
        "names": await linked_names(store, case),
        "actions": actions,
        "lacking": lacking,
        "route": " → ".join([route.departure or "?", *route.transit, route.destination or "?"]),
        "statuses": STATUSES,
        **SHOWING,
        "photo_types": PHOTO_TYPES,
        "photo_limit": photo_limit(),
        "return_error": "",
        "reopen_error": "",
        "photo_error": "",
        **extra,
    }
    return await render_page(
        request, "case.html", context, viewer=viewer, status_code=status_code, section="cases"
    )


async def _form_page(
    request: Request,
    viewer: Viewer,
    form: RecordForm,
    case: CaseView | None,
    *,
    headline: str = "",
    status_code: int = 200,
) -> Response:
    names = await linked_names(case_store(request), case) if case is not None else {}
    context = {
        "form": form,
        "title": _("New case")
        if case is None
        else _("Edit case %(number)s", number=case.seizure.case_number or case.ref),
        "action": "/cases/new" if case is None else f"/cases/{case.ref}/edit",
        "back": "/cases" if case is None else f"/cases/{case.ref}",
        "headline": headline or _("This case cannot be saved yet. Correct these:"),
        "names": names,
        "returned_reasons": await _returned_reasons(request, case),
    }
    return await render_page(
        request, "case_form.html", context, viewer=viewer, status_code=status_code, section="cases"
    )


async def _returned_reasons(request: Request, case: CaseView | None) -> list[str]:
    if case is None or case.status != "returned":
        return []
    steps = await case_store(request).history(case.ref)
    return list(steps[-1].reasons) if steps else []


async def _save(request: Request, viewer: Viewer, case: CaseView | None) -> Response:
    """Save the typed seizure as a draft and, if asked, submit it; or add a row."""
    store = case_store(request)
    data = await request.form()
    form = RecordForm.read(SEIZURE_FORM, data)
    action = str(data.get("action", "save"))
    if (rows := added_row(action)) is not None:
        form.add_row(rows)
        return await _form_page(request, viewer, form, case)
    submitting = action == "submit"
    seizure = typed_seizure(form, list(case.seizure.photos) if case else [])
    if not form.problems:
        try:
            if case is None:
                case = await store.create(viewer.username, seizure)
            else:
                case = await store.update(viewer.username, case.ref, seizure)
        except QualityError as exc:  # links to records that are not at this node
            form.add_problems(exc.problems)
        except CaseError as exc:
            raise refused(exc) from exc
    if form.problems:
        if submitting:
            form.add_problems(still_lacking(seizure))
        headline = _("Nothing is saved yet: correct these.")
        return await _form_page(request, viewer, form, case, headline=headline, status_code=400)
    assert case is not None
    if not submitting:
        return RedirectResponse(f"/cases/{case.ref}?done=saved", status_code=303)
    try:
        await store.submit(viewer.username, case.ref)
    except QualityError as exc:
        form.add_problems(exc.problems)
        headline = _(
            "The draft is saved, but it cannot be submitted yet. Correct these and submit again:"
        )
        return await _form_page(request, viewer, form, case, headline=headline, status_code=400)
    except CaseError as exc:
        raise refused(exc) from exc
    return RedirectResponse(f"/cases/{case.ref}?done=submitted", status_code=303)
