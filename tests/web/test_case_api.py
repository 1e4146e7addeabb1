"""The case API under /api/v1: cases from draft to validated, quality problems as 422 with
the whole list, every refusal of a role, the CEN, and the OpenAPI document.

Embedded default only (SQLite and the local spool). The API signs in with
POST /api/v1/session and sends the CSRF token in X-CSRF-Token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from casepages import add_analyst
from casework import complete_seizure
from nodes import PASSWORD, Network
from webclient import browser

from adapters.attached import attach
from adapters.casestore import CaseStore
from hub.node import Node
from hub.web import create_app
from message_schemas import Photo, record_document


@asynccontextmanager
async def api_client(node: Node, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(create_app(node)) as client:
        signed = await client.post(
            "/api/v1/session", json={"username": username, "password": PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        yield client


def seizure_json(**changes: object) -> dict[str, object]:
    return record_document(complete_seizure(**changes))


async def test_a_case_goes_from_draft_to_validated_through_the_api(ge: Node) -> None:
    async with api_client(ge, "levan") as levan:
        created = await levan.post("/api/v1/cases", json={"case_number": "GE-API-1"})
        assert created.status_code == 201, created.text
        case = created.json()
        ref = case["ref"]
        assert (case["status"], case["created_by"], case["revision"]) == ("draft", "levan", 0)
        assert case["actions"] == ["edit", "submit"]
        assert [step["to_status"] for step in case["history"]] == ["draft"]
        updated = await levan.put(f"/api/v1/cases/{ref}", json=seizure_json(case_number="GE-API-1"))
        assert updated.status_code == 200 and updated.json()["seizure"]["office"] == "GE-SARPI"
        submitted = await levan.post(f"/api/v1/cases/{ref}/submit")
        assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
        assert submitted.json()["actions"] == []
    async with api_client(ge, "nino") as nino:
        listed = await nino.get("/api/v1/cases", params={"status": "submitted"})
        assert [c["ref"] for c in listed.json()] == [ref]
        assert (await nino.get("/api/v1/cases", params={"q": "api-1"})).json()[0]["ref"] == ref
        assert (await nino.get("/api/v1/cases", params={"category": "tobacco"})).json() == []
        validated = await nino.post(f"/api/v1/cases/{ref}/validate")
        assert validated.status_code == 200, validated.text
        body = validated.json()
        assert (body["status"], body["revision"], body["actions"]) == ("validated", 1, ["reopen"])
        assert [(s["from_status"], s["to_status"], s["actor"]) for s in body["history"]] == [
            (None, "draft", "levan"),
            ("draft", "submitted", "levan"),
            ("submitted", "validated", "nino"),
        ]
    assert (await CaseStore(ge).get(ref)).status == "validated"


async def test_submitting_an_incomplete_case_answers_422_with_every_problem(ge: Node) -> None:
    async with api_client(ge, "levan") as levan:
        draft = seizure_json(office=None, detection_method=None)
        draft["commodities"][0]["unit"] = "parsecs"  # type: ignore[index]
        ref = (await levan.post("/api/v1/cases", json=draft)).json()["ref"]
        refused = await levan.post(f"/api/v1/cases/{ref}/submit")
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": [
            {"field": "office", "message": "required"},
            {"field": "detection_method", "message": "required"},
            {
                "field": "commodities.0.unit",
                "message": "'parsecs' is not in the reference list units",
            },
        ]
    }
    assert (await CaseStore(ge).get(ref)).status == "draft"


async def test_a_link_to_a_missing_record_is_refused_with_its_field(ge: Node) -> None:
    async with api_client(ge, "levan") as levan:
        linked = seizure_json(suspects=[{"ref": "a" * 32, "role": "driver"}])
        refused = await levan.post("/api/v1/cases", json=linked)
        assert refused.status_code == 422
        assert refused.json()["detail"] == [
            {"field": "suspects.0.ref", "message": f"no such record '{'a' * 32}'"}
        ]
        malformed = await levan.post("/api/v1/cases", json={"occurred_at": "yesterday"})
        assert (
            malformed.status_code == 422
            and malformed.json()["detail"][0]["loc"][-1] == "occurred_at"
        )
    assert await CaseStore(ge).list() == []


async def test_return_and_reopen_through_the_api(ge: Node) -> None:
    store = CaseStore(ge)
    ref = (await store.create("levan", complete_seizure())).ref
    await store.submit("levan", ref)
    async with api_client(ge, "nino") as nino:
        empty = await nino.post(f"/api/v1/cases/{ref}/return", json={"reasons": []})
        assert empty.status_code == 422
        returned = await nino.post(
            f"/api/v1/cases/{ref}/return", json={"reasons": ["the seal numbers are missing"]}
        )
        assert returned.status_code == 200
        assert returned.json()["history"][-1]["reasons"] == ["the seal numbers are missing"]
    async with api_client(ge, "levan") as levan:
        assert (await levan.post(f"/api/v1/cases/{ref}/submit")).status_code == 200
    async with api_client(ge, "nino") as nino:
        assert (await nino.post(f"/api/v1/cases/{ref}/validate")).status_code == 200
        reopened = await nino.post(f"/api/v1/cases/{ref}/reopen", json={"reason": "wrong unit"})
        assert reopened.status_code == 200
        assert (reopened.json()["status"], reopened.json()["revision"]) == ("draft", 1)


REFUSALS = [
    # (who, method, path template, JSON body, the case's state)
    ("ana", "POST", "/api/v1/cases", {}, "draft"),
    ("ana", "PUT", "/api/v1/cases/{ref}", {}, "draft"),
    ("ana", "POST", "/api/v1/cases/{ref}/submit", None, "draft"),
    ("tamar", "PUT", "/api/v1/cases/{ref}", {}, "draft"),
    ("tamar", "POST", "/api/v1/cases/{ref}/submit", None, "draft"),
    ("levan", "POST", "/api/v1/cases/{ref}/validate", None, "submitted"),
    ("levan", "POST", "/api/v1/cases/{ref}/return", {"reasons": ["no"]}, "submitted"),
    ("levan", "POST", "/api/v1/cases/{ref}/reopen", {"reason": "no"}, "validated"),
    ("ana", "POST", "/api/v1/cases/{ref}/validate", None, "submitted"),
    ("levan", "GET", "/api/v1/cen/pending", None, "validated"),
    ("levan", "POST", "/api/v1/cen/transmit", None, "validated"),
]


@pytest.mark.parametrize(("who", "method", "path", "body", "state"), REFUSALS)
async def test_a_role_that_may_not_gets_403_and_the_case_stays_as_it_was(
    ge: Node, who: str, method: str, path: str, body: dict[str, object] | None, state: str
) -> None:
    await add_analyst(ge)
    store = CaseStore(ge)
    ref = (await store.create("levan", complete_seizure())).ref
    if state in ("submitted", "validated"):
        await store.submit("levan", ref)
    if state == "validated":
        await store.validate("nino", ref)
    before = await store.get(ref)
    async with api_client(ge, who) as client:
        response = await client.request(method, path.format(ref=ref), json=body)
    assert response.status_code == 403, response.text
    assert isinstance(response.json()["detail"], str)
    after = await store.get(ref)
    assert (after.status, after.seizure, after.revision) == (
        before.status,
        before.seizure,
        before.revision,
    )
    assert len(await store.list()) == 1


async def test_wrong_states_unknown_cases_and_missing_tokens_are_refused(ge: Node) -> None:
    ref = (await CaseStore(ge).create("levan", complete_seizure())).ref
    async with api_client(ge, "nino") as nino:
        wrong_state = await nino.post(f"/api/v1/cases/{ref}/validate")
        assert wrong_state.status_code == 409
        assert wrong_state.json() == {
            "detail": "This case is draft: only a submitted case can be validated."
        }
        assert (await nino.get(f"/api/v1/cases/{'b' * 32}")).status_code == 404
        assert (await nino.get("/api/v1/cases/not-a-ref")).status_code == 422
        unknown = await nino.get("/api/v1/cases", params={"category": "spaceships"})
        assert unknown.status_code == 400
        del nino.headers["X-CSRF-Token"]
        no_token = await nino.put(f"/api/v1/cases/{ref}", json={})
        assert no_token.status_code == 403
    assert (await CaseStore(ge).get(ref)).seizure.office == "GE-SARPI"  # not emptied


async def test_photos_are_not_added_through_the_api(ge: Node) -> None:
    photo = Photo(sha256="c" * 64, filename="x.jpg")
    async with api_client(ge, "levan") as levan:
        refused = await levan.post("/api/v1/cases", json=seizure_json(photos=[photo]))
    assert refused.status_code == 400
    assert refused.json() == {"detail": "Photos are added by uploading them on the case's page."}
    assert await CaseStore(ge).list() == []


async def test_the_cen_through_the_api_shows_the_projection_and_transmits(
    network: Network, ge: Node
) -> None:
    await network.add("wco")  # a partner this node trusts
    await attach(ge)  # as icomm serve does: cases@ge sends the seizures
    store = CaseStore(ge)
    ref = (await store.create("levan", complete_seizure(narrative="stays here"))).ref
    await store.submit("levan", ref)
    await store.validate("nino", ref)
    async with api_client(ge, "nino") as nino:
        preview = (await nino.get("/api/v1/cen/pending")).json()
        [item] = preview["pending"]
        assert item["case_ref"] == ref and item["message"]["seizure_ref"] == f"ge:{ref}"
        assert item["message"]["to"] == ["cen@wco"] and "stays here" not in str(item["message"])
        assert "seizure.narrative" in preview["never_leaves"]
        sent = await nino.post("/api/v1/cen/transmit")
        assert sent.json() == {"sent": 1, "cases": [ref]}
        assert (await nino.post("/api/v1/cen/transmit")).json() == {"sent": 0, "cases": []}
        assert (await nino.get("/api/v1/cen/pending")).json()["pending"] == []


async def test_the_openapi_document_describes_the_case_api(ge: Node) -> None:
    async with browser(create_app(ge)) as client:
        document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{ref}",
        "/api/v1/cases/{ref}/submit",
        "/api/v1/cases/{ref}/validate",
        "/api/v1/cases/{ref}/return",
        "/api/v1/cases/{ref}/reopen",
        "/api/v1/cen/pending",
        "/api/v1/cen/transmit",
    ):
        assert path in paths, path
    submit = paths["/api/v1/cases/{ref}/submit"]["post"]
    assert submit["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/QualityProblems"
    }
    assert "CaseDetail" in document["components"]["schemas"]
    assert "Seizure" in str(document["components"]["schemas"]["CaseDetail"])
    assert not any(path.startswith("/cases") for path in paths)  # pages stay out
