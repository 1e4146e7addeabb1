"""Validation through the pages: submit, the admins' queue, validate, return with reasons,
reopen; the buttons each reader sees; and every refusal (403) of a role or of a partner's
case, which leaves the case as it was.

Embedded default only (SQLite and the local spool): at ge, nino is an admin, levan and
tamar are officers, ana an analyst; a partner node (am) shares a validated case with ge.
"""

from __future__ import annotations

import pytest
from casepages import add_analyst, complete_form, post_form, signed_in
from casework import complete_seizure, staffed
from nodes import Network, eventually
from webclient import browser

from adapters.attached import attach
from adapters.casestore import CaseStore
from adapters.errors import CaseError
from hub.node import Node
from hub.web import create_app
from message_schemas import HandlingCode, PartyLink, Suspect


async def entered(ge: Node, *, submitted: bool = False, validated: bool = False) -> str:
    store = CaseStore(ge)
    case = await store.create("levan", complete_seizure())
    if submitted or validated:
        await store.submit("levan", case.ref)
    if validated:
        await store.validate("nino", case.ref)
    return case.ref


async def test_a_case_goes_from_draft_through_the_queue_to_validated(ge: Node) -> None:
    first, second = await entered(ge), await entered(ge)
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        page = await levan.get(f"/cases/{first}")
        assert ">Submit for validation</button>" in page.text
        assert ">Validate</button>" not in page.text  # officers do not validate
        for ref in (second, first):
            done = await post_form(levan, f"/cases/{ref}/submit", {}, page=f"/cases/{ref}")
            assert done.headers["location"] == f"/cases/{ref}?done=submitted"
    async with signed_in(app, "nino") as nino:
        queue = await nino.get("/cases/queue")
        assert "2 cases waiting" in queue.text
        assert queue.text.index(f"/cases/{second}/validate") < queue.text.index(
            f"/cases/{first}/validate"
        )  # the longest waiting first
        assert f'<label for="reasons-{first}">' in queue.text
        done = await post_form(
            nino, f"/cases/{first}/validate", {"next": "/cases/queue"}, page="/cases/queue"
        )
        assert done.headers["location"] == "/cases/queue?done=validated"
        after = await nino.get(done.headers["location"])
        assert (
            "The case is validated." in after.text and f"/cases/{first}/validate" not in after.text
        )
        page = await nino.get(f"/cases/{first}")
        assert "revision 1" in page.text and ">Reopen for correction</button>" in page.text
        history = page.text[page.text.index('id="history-title"') :]
        assert history.count("<tr>") == 4  # a header and three steps
        assert "draft → submitted" in history and "submitted → validated" in history
        assert "nino" in history and "levan" in history
    case = await CaseStore(ge).get(first)
    assert (case.status, case.revision) == ("validated", 1)


async def test_a_returned_case_carries_the_reasons_back_to_its_officer(ge: Node) -> None:
    ref = await entered(ge, submitted=True)
    app = create_app(ge)
    async with signed_in(app, "nino") as nino:
        empty = await post_form(
            nino, f"/cases/{ref}/return", {"reasons": " \n "}, page=f"/cases/{ref}"
        )
        assert empty.status_code == 400
        assert "Say why the case goes back" in empty.text
        assert (await CaseStore(ge).get(ref)).status == "submitted"
        reasons = "The office code is wrong\nAdd the seal numbers"
        done = await post_form(
            nino, f"/cases/{ref}/return", {"reasons": reasons}, page=f"/cases/{ref}"
        )
        assert done.headers["location"] == f"/cases/{ref}?done=returned"
    async with signed_in(app, "levan") as levan:
        page = await levan.get(f"/cases/{ref}")
        assert "<li>The office code is wrong</li>" in page.text
        assert "<li>Add the seal numbers</li>" in page.text
        assert "submitted → returned" in page.text
        form = await levan.get(f"/cases/{ref}/edit")
        assert "This case was returned for correction:" in form.text
        assert "<li>Add the seal numbers</li>" in form.text
        again = await post_form(
            levan, f"/cases/{ref}/edit", complete_form(action="submit"), page=f"/cases/{ref}"
        )
        assert again.headers["location"] == f"/cases/{ref}?done=submitted"
    assert (await CaseStore(ge).get(ref)).status == "submitted"


async def test_a_validated_case_is_reopened_with_a_reason(ge: Node) -> None:
    ref = await entered(ge, validated=True)
    app = create_app(ge)
    async with signed_in(app, "nino") as nino:
        empty = await post_form(nino, f"/cases/{ref}/reopen", {"reason": ""}, page=f"/cases/{ref}")
        assert empty.status_code == 400 and "Say why the case needs correcting." in empty.text
        done = await post_form(
            nino, f"/cases/{ref}/reopen", {"reason": "wrong quantity"}, page=f"/cases/{ref}"
        )
        assert done.headers["location"] == f"/cases/{ref}?done=reopened"
        page = await nino.get(f"/cases/{ref}")
        assert "validated → draft" in page.text and "<li>wrong quantity</li>" in page.text
    case = await CaseStore(ge).get(ref)
    assert (case.status, case.revision) == ("draft", 1)


async def test_submitting_an_incomplete_draft_from_its_page_shows_the_form_with_every_problem(
    ge: Node,
) -> None:
    ref = (await CaseStore(ge).create("levan", complete_seizure(office=None, direction=None))).ref
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        refused = await post_form(levan, f"/cases/{ref}/submit", {}, page=f"/cases/{ref}")
    assert refused.status_code == 400
    assert 'id="office-problems"' in refused.text and 'id="direction-problems"' in refused.text
    assert "This case cannot be submitted yet." in refused.text
    assert (await CaseStore(ge).get(ref)).status == "draft"


REFUSALS = [
    # (who, method, path template, what the case is)
    ("ana", "GET", "/cases/new", "draft"),
    ("ana", "POST", "/cases/new", "draft"),
    ("ana", "GET", "/cases/{ref}/edit", "draft"),
    ("ana", "POST", "/cases/{ref}/submit", "draft"),
    ("ana", "POST", "/cases/{ref}/photos", "draft"),
    ("tamar", "GET", "/cases/{ref}/edit", "draft"),
    ("tamar", "POST", "/cases/{ref}/edit", "draft"),
    ("tamar", "POST", "/cases/{ref}/submit", "draft"),
    ("levan", "GET", "/cases/queue", "submitted"),
    ("levan", "POST", "/cases/{ref}/validate", "submitted"),
    ("levan", "POST", "/cases/{ref}/return", "submitted"),
    ("levan", "POST", "/cases/{ref}/reopen", "validated"),
    ("ana", "POST", "/cases/{ref}/validate", "submitted"),
    ("levan", "GET", "/cen", "validated"),
    ("levan", "POST", "/cen/transmit", "validated"),
]


@pytest.mark.parametrize(("who", "method", "path", "state"), REFUSALS)
async def test_a_role_that_may_not_is_refused_and_the_case_stays_as_it_was(
    ge: Node, who: str, method: str, path: str, state: str
) -> None:
    await add_analyst(ge)
    ref = await entered(ge, submitted=state == "submitted", validated=state == "validated")
    before = await CaseStore(ge).get(ref)
    async with signed_in(create_app(ge), who) as client:
        target = path.format(ref=ref)
        if method == "GET":
            response = await client.get(target)
        else:
            data = complete_form(case_number="CHANGED", reasons="no", reason="no")
            response = await post_form(client, target, data)
    assert response.status_code == 403, response.text
    assert "Not allowed" in response.text
    after = await CaseStore(ge).get(ref)
    assert (after.status, after.seizure, after.revision) == (
        before.status,
        before.seizure,
        before.revision,
    )
    assert len(await CaseStore(ge).list()) == 1


async def test_changing_a_case_in_the_wrong_state_is_refused_with_409(ge: Node) -> None:
    ref = await entered(ge, submitted=True)
    async with signed_in(create_app(ge), "levan") as levan:
        assert (await levan.get(f"/cases/{ref}/edit")).status_code == 409
        again = await post_form(levan, f"/cases/{ref}/submit", {})
        assert again.status_code == 409 and "only a draft or a returned case" in again.text
    async with signed_in(create_app(ge), "nino") as nino:
        reopen = await post_form(nino, f"/cases/{ref}/reopen", {"reason": "x"})
        assert reopen.status_code == 409


async def test_a_partners_case_and_its_suspect_are_read_only_here(
    network: Network, ge: Node
) -> None:
    am = await attach((await staffed(network, "am")).node)
    await attach(ge)
    suspect = await am.store.add_party("nino", Suspect(surname="Petrosyan"))
    link = PartyLink(ref=suspect.ref, role="driver")
    shared = await am.store.create("nino", complete_seizure(case_number="AM-7", suspects=[link]))
    await am.store.submit("nino", shared.ref)
    await am.store.validate("giorgi", shared.ref)
    await am.sharing.share("giorgi", shared.ref, ["ge"], HandlingCode.H1)

    async def arrived() -> bool:
        try:
            return (await CaseStore(ge).get(shared.ref)).foreign
        except CaseError:
            return False

    await eventually(arrived)
    app = create_app(ge)
    async with signed_in(app, "nino") as nino:
        page = await nino.get(f"/cases/{shared.ref}")
        assert page.status_code == 200 and "AM-7" in page.text
        assert "Shared by am (handling code H1): read-only here." in page.text
        assert "/edit" not in page.text and ">Reopen for correction</button>" not in page.text
        assert (await nino.get(f"/cases/{shared.ref}/edit")).status_code == 403
        for action in ("submit", "reopen", "edit"):
            refused = await post_form(nino, f"/cases/{shared.ref}/{action}", {"reason": "x"})
            assert refused.status_code == 403, action
            assert "shared with this node: it is read-only here" in refused.text
        listed = await nino.get("/cases?origin=foreign")
        assert f'href="/cases/{shared.ref}"' in listed.text and "from am" in listed.text
        person = await nino.get(f"/suspects/{suspect.ref}")
        assert "Petrosyan" in person.text and f"/suspects/{suspect.ref}/edit" not in person.text
        assert (await nino.get(f"/suspects/{suspect.ref}/edit")).status_code == 403
        edit = await post_form(nino, f"/suspects/{suspect.ref}/edit", {"surname": "Changed"})
        assert edit.status_code == 403 and "read-only here" in edit.text
    assert (await CaseStore(ge).get(shared.ref)).status == "validated"
    assert (await CaseStore(ge).party("suspect", suspect.ref)).record == Suspect(
        surname="Petrosyan"
    )


async def test_signing_in_is_needed_for_every_case_page(ge: Node) -> None:
    ref = await entered(ge)
    async with browser(create_app(ge)) as anonymous:
        for path in ("/cases", f"/cases/{ref}", "/cases/new", "/cases/queue", "/cen", "/suspects"):
            response = await anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/login")
