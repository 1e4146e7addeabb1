"""The case stores as the web pages and the JSON API reach them: the store of the request's
node, who may do what to a case, the store's refusals as HTTP answers, and finding cases.

The case store (:class:`adapters.casestore.CaseStore`) decides every step itself, for
whoever asks; the checks here come first so that a page offers only the buttons its reader
may use, and a refused request is answered 403 (who) or 409 (the case's state) before the
store is asked. The store and the CEN link hold no state of their own, so each request
gets its own (``adapters.attached.attach`` would subscribe the mailboxes again: the
process that serves the web app has already done that).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Literal

from babel.dates import format_date
from fastapi import Depends, Request

from adapters.casestore import (
    EDITABLE,
    ENTERING,
    SUBMITTED,
    VALIDATED,
    CaseStore,
    CaseView,
    PartyKind,
    PartyView,
)
from adapters.cen import CenLink
from adapters.errors import CaseError, HandlingRefused, NotAllowed, QualityError, WrongState
from hub.web.auth import Viewer, WebError, context_of, require_viewer
from hub.web.rendering import N_, _, current_locale, label, localized
from message_schemas import PartyLink, Suspect
from storage.cases import SeizureFilter

Action = Literal["edit", "submit", "validate", "return", "reopen"]
ACTIONS: tuple[Action, ...] = ("edit", "submit", "validate", "return", "reopen")

STATUSES = {
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "validated": N_("validated"),
    "returned": N_("returned"),
}
ORIGINS = {"own": N_("this node's"), "foreign": N_("partners'")}
WRONG_STATE = {
    "validate": N_("This case is %(status)s: only a submitted case can be validated."),
    "return": N_("This case is %(status)s: only a submitted case can be returned."),
    "reopen": N_("This case is %(status)s: only a validated case can be reopened."),
}
REF = re.compile(r"^[0-9a-f]{32}$")
TEXT_SEARCH_SCOPE = 2000
"""How many of the newest cases (after the other filters) a text search looks through."""
QUEUE_PAGE = 500


def case_store(request: Request) -> CaseStore:
    return CaseStore(context_of(request).node)


def cen_link(request: Request) -> CenLink:
    return CenLink(case_store(request))


def may_enter(viewer: Viewer) -> bool:
    """Officers and administrators enter cases, suspects and companies; analysts read."""
    return viewer.role in ENTERING


def check_entering(viewer: Viewer) -> Viewer:
    if not may_enter(viewer):
        raise WebError(
            403, _("Only officers and administrators enter cases, suspects and companies.")
        )
    return viewer


def check_case_admin(viewer: Viewer) -> Viewer:
    if not viewer.is_admin:
        raise WebError(403, _("Only administrators validate cases and send them to the WCO's CEN."))
    return viewer


async def require_entering(viewer: Viewer = Depends(require_viewer)) -> Viewer:  # noqa: B008
    return check_entering(viewer)


async def require_case_admin(viewer: Viewer = Depends(require_viewer)) -> Viewer:  # noqa: B008
    return check_case_admin(viewer)


def refusal(viewer: Viewer, case: CaseView, action: Action) -> WebError | None:
    """Why ``viewer`` may not take ``action`` on ``case`` (None: they may)."""
    if case.foreign:
        return WebError(
            403,
            _(
                "This case is %(node)s's, shared with this node: it is read-only here.",
                node=case.origin_node,
            ),
        )
    if action in ("edit", "submit"):
        if not may_enter(viewer):
            return WebError(403, _("Only officers and administrators enter cases."))
        if not viewer.is_admin and case.created_by != viewer.username:
            return WebError(
                403,
                _(
                    "Only %(user)s, who entered this case, or an administrator can change it.",
                    user=case.created_by,
                ),
            )
        if case.status not in EDITABLE:
            return WebError(
                409,
                _(
                    "This case is %(status)s: only a draft or a returned case can be changed.",
                    status=_(STATUSES[case.status]),
                ),
            )
        return None
    if not viewer.is_admin:
        return WebError(403, _("Only administrators validate, return and reopen cases."))
    needed = VALIDATED if action == "reopen" else SUBMITTED
    if case.status != needed:
        return WebError(409, _(WRONG_STATE[action], status=_(STATUSES[case.status])))
    return None


async def case_for(store: CaseStore, viewer: Viewer, ref: str, action: Action) -> CaseView:
    """Case ``ref``, if ``viewer`` may do ``action`` to it now; else the refusal (403/409)."""
    case = await load_case(store, ref)
    refused = refusal(viewer, case, action)
    if refused is not None:
        raise refused
    return case


def allowed_actions(viewer: Viewer, case: CaseView) -> list[Action]:
    return [action for action in ACTIONS if refusal(viewer, case, action) is None]


def refused(exc: CaseError) -> WebError:
    """A refusal of the case store as an HTTP answer (what the store says, translated)."""
    if isinstance(exc, NotAllowed | HandlingRefused):
        status = 403
    elif isinstance(exc, WrongState):
        status = 409
    elif isinstance(exc, QualityError):
        status = 422
    else:
        status = 400
    return WebError(status, localized(exc.template, exc.params))


async def load_case(store: CaseStore, ref: str) -> CaseView:
    if REF.match(ref):
        try:
            return await store.get(ref)
        except CaseError:
            pass
    raise WebError(404, _("There is no such case at this node."))


async def load_party(store: CaseStore, kind: PartyKind, ref: str) -> PartyView:
    if REF.match(ref):
        try:
            return await store.party(kind, ref)
        except CaseError:
            pass
    missing = {
        "suspect": _("There is no such suspect at this node."),
        "company": _("There is no such company at this node."),
    }
    raise WebError(404, missing[kind])


def format_day(value: date) -> str:
    """A date (a birth, a seizure's day) in the reader's locale."""
    return format_date(value, format="medium", locale=current_locale())


SHOWING: dict[str, Callable[..., str]] = {"coded": label, "day": format_day}
"""What the case pages' templates use to show codes and dates."""


def party_label(party: PartyView) -> str:
    """A suspect's full name (or first alias), a company's name."""
    record = party.record
    names = record.names if isinstance(record, Suspect) else [record.name or ""]
    return next((name for name in names if name), _("(no name)"))


async def linked_names(store: CaseStore, case: CaseView) -> dict[str, str]:
    """The names of the suspects and companies a case links to, by reference."""
    groups: tuple[tuple[PartyKind, list[PartyLink]], ...] = (
        ("suspect", case.seizure.suspects),
        ("company", case.seizure.companies),
    )
    names = {}
    for kind, links in groups:
        for link in links:
            try:
                names[link.ref] = party_label(await store.party(kind, link.ref))
            except CaseError:
                names[link.ref] = _("(not at this node)")
    return names


def case_matches(case: CaseView, text: str) -> bool:
    """Whether ``text`` occurs (any case) in the case's number, office, reference or texts."""
    seizure = case.seizure
    haystack = [
        case.ref,
        seizure.case_number or "",
        seizure.office or "",
        seizure.narrative,
        seizure.concealment_description,
        seizure.conveyance.identifier or "" if seizure.conveyance else "",
        *(c.description for c in seizure.commodities),
    ]
    needle = text.casefold()
    return any(needle in item.casefold() for item in haystack)


async def find_cases(
    store: CaseStore,
    *,
    status: str | None = None,
    origin: str | None = None,
    category: str | None = None,
    text: str = "",
    limit: int = 200,
) -> list[CaseView]:
    """The cases that match, newest first; ``origin`` is ``own`` or ``foreign`` (else
    any), and ``text`` searches the newest few thousand."""
    where = SeizureFilter(
        status=status,
        category=category,
        foreign={"own": False, "foreign": True}.get(origin or ""),
    )
    if not text.strip():
        return await store.list(where, limit=limit)
    scope = await store.list(where, limit=TEXT_SEARCH_SCOPE)
    return [case for case in scope if case_matches(case, text.strip())][:limit]


async def validation_queue(store: CaseStore) -> list[CaseView]:
    """Every submitted case of this node, the longest waiting first."""
    where = SeizureFilter(status=SUBMITTED, foreign=False)
    cases: list[CaseView] = []
    while True:
        page = await store.list(where, limit=QUEUE_PAGE, offset=len(cases))
        cases += page
        if len(page) < QUEUE_PAGE:
            return sorted(cases, key=lambda case: case.updated_at)
