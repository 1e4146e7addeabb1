"""The CEN page (admins): what the next transmission sends to the WCO's global CEN — the
non-nominal projection of each validated seizure not yet sent — what never leaves, and the
one-click transmission (:class:`adapters.cen.CenLink`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapters.cen import CEN_ADDRESS
from adapters.errors import CaseError
from hub.web.auth import Viewer
from hub.web.case_forms import SEIZURE_FORM
from hub.web.casework import SHOWING, cen_link, refused, require_case_admin
from hub.web.pages import render_page
from hub.web.party_forms import COMPANY_FORM, SUSPECT_FORM
from hub.web.rendering import N_, _, ngettext
from message_schemas import NOMINAL

router = APIRouter(include_in_schema=False)

NOMINAL_GROUPS = {
    "seizure": N_("Of each case"),
    "commodity": N_("Of each commodity"),
    "conveyance": N_("Of its conveyance"),
    "suspect": N_("Of each suspect (only nationality, gender and an age band go)"),
    "company": N_("Of each company (nothing goes)"),
}


def nominal_label(record: str, name: str) -> str:
    """A field that never leaves, as the forms label it."""
    if record == "seizure":
        return _("Concealment photos") if name == "photos" else SEIZURE_FORM.label_of(name)
    if record == "commodity":
        return _(SEIZURE_FORM.row("commodities").field(name).label)
    if record == "conveyance":
        return SEIZURE_FORM.label_of(f"conveyance.{name}")
    return (SUSPECT_FORM if record == "suspect" else COMPANY_FORM).label_of(name)


def never_leaves() -> list[tuple[str, list[str]]]:
    """Every nominal field (``message_schemas.NOMINAL``), grouped by record, in words."""
    return [
        (_(NOMINAL_GROUPS.get(record, record)), sorted(nominal_label(record, n) for n in names))
        for record, names in NOMINAL.items()
    ]


@router.get("/cen")
async def cen_page(request: Request, viewer: Viewer = Depends(require_case_admin)) -> Response:  # noqa: B008
    pending = await cen_link(request).pending()
    sent = request.query_params.get("sent", "")
    notice = {}
    if sent.isdigit():
        notice["notice"] = (
            ngettext(
                "%(num)s seizure was sent to %(address)s.",
                "%(num)s seizures were sent to %(address)s.",
                int(sent),
                address=CEN_ADDRESS,
            )
            if int(sent)
            else _("Nothing was sent: every validated seizure had already gone.")
        )
    context = {
        "pending": pending,
        "never_leaves": never_leaves(),
        "address": CEN_ADDRESS,
        **SHOWING,
        **notice,
    }
    return await render_page(request, "cen.html", context, viewer=viewer, section="cen")


@router.post("/cen/transmit")
async def transmit(request: Request, viewer: Viewer = Depends(require_case_admin)) -> Response:  # noqa: B008
    try:
        sent = await cen_link(request).transmit(viewer.username)
    except CaseError as exc:
        raise refused(exc) from exc
    return RedirectResponse(f"/cen?sent={len(sent)}", status_code=303)
