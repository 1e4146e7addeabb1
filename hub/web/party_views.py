"""The suspects and companies pages: search (by name in any script or spelling, or by
number), add, view with the cases linked to them, edit.

Officers and admins add and edit; analysts read. A partner's record, filed with a shared
case, is read-only here.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.casestore import PartyView
from adapters.errors import CaseError, QualityError
from hub.web.auth import Viewer, WebError, require_viewer
from hub.web.case_views import done_notice
from hub.web.casework import (
    SHOWING,
    STATUSES,
    case_store,
    check_entering,
    load_party,
    may_enter,
    party_label,
    refused,
    require_entering,
)
from hub.web.pages import render_page
from hub.web.party_forms import PARTY_KINDS, PartyKindInfo
from hub.web.record_forms import RecordForm, added_row
from hub.web.rendering import _

router = APIRouter(include_in_schema=False)


def ensure_editable(viewer: Viewer, party: PartyView) -> None:
    check_entering(viewer)
    if party.foreign:
        raise WebError(
            403,
            _(
                "This record is %(node)s's, shared with this node: it is read-only here.",
                node=party.origin_node,
            ),
        )


def _routes(info: PartyKindInfo) -> None:
    """The pages of one kind of party, under ``info.path``."""
    done = {"added": info.added, "saved": info.saved}

    @router.get(info.path, name=f"{info.kind}_search")
    async def search(request: Request, viewer: Viewer = Depends(require_viewer)) -> Response:  # noqa: B008
        name = request.query_params.get("name", "").strip()[:200]
        number = request.query_params.get("number", "").strip()[:100]
        found: list[PartyView] = []
        error = ""
        if name or number:
            try:
                found = await case_store(request).search(
                    info.kind, name=name or None, identifier=number or None
                )
            except CaseError:
                error = _("Search by at least one word of a name, or by a number.")
        context = {
            "info": info,
            "name": name,
            "number": number,
            "searched": bool(name or number),
            "found": [(party, party_label(party)) for party in found],
            "error": error,
            "may_enter": may_enter(viewer),
        }
        return await render(request, viewer, "parties.html", context)

    @router.get(f"{info.path}/new", name=f"{info.kind}_new_form")
    async def new_form(request: Request, viewer: Viewer = Depends(require_entering)) -> Response:  # noqa: B008
        return await form_page(request, viewer, RecordForm.blank(info.form), None)

    @router.post(f"{info.path}/new", name=f"{info.kind}_add")
    async def add(request: Request, viewer: Viewer = Depends(require_entering)) -> Response:  # noqa: B008
        return await save(request, viewer, None)

    @router.get(f"{info.path}/{{ref}}", name=f"{info.kind}_page")
    async def page(
        request: Request,
        ref: str,
        viewer: Viewer = Depends(require_viewer),  # noqa: B008
    ) -> Response:
        store = case_store(request)
        party = await load_party(store, info.kind, ref)
        context = {
            "info": info,
            "party": party,
            "record": party.record,
            "label": party_label(party),
            "cases": await store.cases_of(info.kind, party.ref),
            "editable": may_enter(viewer) and not party.foreign,
            "statuses": STATUSES,
            **done_notice(request, done),
        }
        return await render(request, viewer, "party.html", context)

    @router.get(f"{info.path}/{{ref}}/edit", name=f"{info.kind}_edit_form")
    async def edit_form(
        request: Request,
        ref: str,
        viewer: Viewer = Depends(require_viewer),  # noqa: B008
    ) -> Response:
        party = await load_party(case_store(request), info.kind, ref)
        ensure_editable(viewer, party)
        return await form_page(request, viewer, RecordForm.of(info.form, party.record), party)

    @router.post(f"{info.path}/{{ref}}/edit", name=f"{info.kind}_edit")
    async def edit(
        request: Request,
        ref: str,
        viewer: Viewer = Depends(require_viewer),  # noqa: B008
    ) -> Response:
        party = await load_party(case_store(request), info.kind, ref)
        ensure_editable(viewer, party)
        return await save(request, viewer, party)

    async def form_page(
        request: Request,
        viewer: Viewer,
        form: RecordForm,
        party: PartyView | None,
        *,
        status_code: int = 200,
    ) -> Response:
        context = {
            "info": info,
            "form": form,
            "title": _(info.new) if party is None else _("Edit %(name)s", name=party_label(party)),
            "action": f"{info.path}/new" if party is None else f"{info.path}/{party.ref}/edit",
            "back": info.path if party is None else f"{info.path}/{party.ref}",
            "headline": _("Nothing is saved yet: correct these."),
        }
        return await render(request, viewer, "party_form.html", context, status_code=status_code)

    async def save(request: Request, viewer: Viewer, party: PartyView | None) -> Response:
        data = await request.form()
        form = RecordForm.read(info.form, data)
        if (rows := added_row(str(data.get("action", "")))) is not None:
            form.add_row(rows)
            return await form_page(request, viewer, form, party)
        record = form.validated(info.model)
        store = case_store(request)
        outcome = "added" if party is None else "saved"
        if not form.problems:
            try:
                if party is None:
                    party = await store.add_party(viewer.username, record)
                else:
                    party = await store.update_party(viewer.username, party.ref, record)
            except QualityError as exc:
                form.add_problems(exc.problems)
            except CaseError as exc:
                raise refused(exc) from exc
        else:  # what pydantic refused is not all: say what the checks find in the rest
            form.add_problems(info.check(record))
        if form.problems or party is None:
            return await form_page(request, viewer, form, party, status_code=400)
        return RedirectResponse(f"{info.path}/{party.ref}?done={outcome}", status_code=303)

    async def render(
        request: Request,
        viewer: Viewer,
        template: str,
        context: dict[str, object],
        status_code: int = 200,
    ) -> Response:
        context = {**SHOWING, **context}
        return await render_page(
            request,
            template,
            context,
            viewer=viewer,
            status_code=status_code,
            section=info.path[1:],
        )


for _info in PARTY_KINDS.values():
    _routes(_info)
