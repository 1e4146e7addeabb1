"""The suspects and companies pages: adding (every problem at once, what was typed kept),
finding again by name in any script or by number, viewing with linked cases, editing; who
may do which.

Embedded default only (SQLite and the local spool).
"""

from __future__ import annotations

import html

from casepages import add_analyst, post_form, saved_ref, signed_in
from casework import complete_seizure

from adapters.casestore import CaseStore
from hub.node import Node
from hub.web import create_app
from message_schemas import Company, IdentityDocument, PartyLink, Suspect

SUSPECT_FORM = {
    "surname": "Beridze",
    "given_names": "Giorgi",
    "aliases": "ბერიძე გიორგი\r\nBeridse",
    "date_of_birth": "1984-03-17",
    "gender": "male",
    "nationality": "GE",
    "addresses": "12 Rustaveli Avenue, Batumi",
    "documents.0.type": "passport",
    "documents.0.number": "13AB45678",
    "documents.0.issuing_country": "GE",
    "notes": "driver of the truck",
    "action": "save",
}


async def test_an_officer_adds_a_suspect_found_again_in_any_script(ge: Node) -> None:
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        form = await levan.get("/suspects/new")
        for field in ("surname", "date_of_birth", "documents.0.number"):
            assert f'<label for="{field}">' in form.text
        done = await post_form(levan, "/suspects/new", SUSPECT_FORM, page="/suspects/new")
        ref = saved_ref(done)
        page = await levan.get(done.headers["location"])
        assert "The suspect is added." in page.text and ref in page.text
        assert "13AB45678" in page.text and "Passport" in page.text
        assert "Mar 17, 1984" in page.text  # dates in the reader's locale
        for spelling in ("Беридзе", "ბერიძე", "berid", "giorgi beridze"):
            found = await levan.get("/suspects", params={"name": spelling})
            assert f'href="/suspects/{ref}"' in found.text, spelling
        by_number = await levan.get("/suspects", params={"number": "13ab 45678"})
        assert f'href="/suspects/{ref}"' in by_number.text
        nobody = await levan.get("/suspects", params={"name": "Kapanadze"})
        assert "Nothing found." in nobody.text
    suspect = (await CaseStore(ge).party("suspect", ref)).record
    assert isinstance(suspect, Suspect)
    assert suspect.aliases == ["ბერიძე გიორგი", "Beridse"]
    assert suspect.documents == [
        IdentityDocument(type="passport", number="13AB45678", issuing_country="GE")
    ]


async def test_a_suspect_with_mistakes_comes_back_with_every_problem_and_the_text_kept(
    ge: Node,
) -> None:
    typed = {
        **SUSPECT_FORM,
        "surname": "",
        "given_names": "",
        "aliases": "",
        "date_of_birth": "2999-01-01",
        "documents.0.number": "",
        "notes": "keep <these> notes",
    }
    async with signed_in(create_app(ge), "levan") as levan:
        refused = await post_form(levan, "/suspects/new", typed, page="/suspects/new")
    assert refused.status_code == 400
    page = refused.text
    assert 'id="documents.0.number-problems"' in page  # a document needs its number
    assert 'id="date_of_birth-problems"' in page and "2999-01-01 is in the future" in page
    assert 'id="surname-problems"' in page and "a name (surname, given names or an alias)" in page
    assert 'value="2999-01-01"' in page and "keep &lt;these&gt; notes" in page
    assert html.unescape(page).count("Nothing is saved yet") == 1
    assert await CaseStore(ge).search("suspect", identifier="13AB45678") == []


async def test_a_company_is_added_edited_and_shows_the_cases_it_is_linked_to(ge: Node) -> None:
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        typed = {
            "name": "Black Sea Logistics LLC",
            "registration_number": "405123456",
            "country": "GE",
            "role": "carrier",
        }
        ref = saved_ref(await post_form(levan, "/companies/new", typed, page="/companies/new"))
        case = await CaseStore(ge).create(
            "levan", complete_seizure(companies=[PartyLink(ref=ref, role="carrier")])
        )
        form = await levan.get(f"/companies/{ref}/edit")
        assert 'value="Black Sea Logistics LLC"' in form.text
        edited = {**typed, "name": "Black Sea Logistics", "activity": "road freight"}
        done = await post_form(levan, f"/companies/{ref}/edit", edited, page=form.url.path)
        assert done.headers["location"] == f"/companies/{ref}?done=saved"
        page = await levan.get(f"/companies/{ref}")
        assert "Black Sea Logistics" in page.text and "road freight" in page.text
        assert f'href="/cases/{case.ref}"' in page.text and "Carrier" in page.text
        by_registration = await levan.get("/companies", params={"number": "405123456"})
        assert f'href="/companies/{ref}"' in by_registration.text
        linked = await levan.get(f"/cases/{case.ref}")
        assert f'<a href="/companies/{ref}">Black Sea Logistics</a>' in linked.text
    company = (await CaseStore(ge).party("company", ref)).record
    assert company == Company(
        name="Black Sea Logistics",
        registration_number="405123456",
        country="GE",
        activity="road freight",
        role="carrier",
    )


async def test_analysts_read_suspects_and_companies_but_do_not_add_or_edit(ge: Node) -> None:
    ana = await add_analyst(ge)
    suspect = await CaseStore(ge).add_party("levan", Suspect(surname="Beridze"))
    app = create_app(ge)
    async with signed_in(app, ana) as client:
        found = await client.get("/suspects", params={"name": "beridze"})
        assert f'href="/suspects/{suspect.ref}"' in found.text
        assert 'href="/suspects/new"' not in found.text
        page = await client.get(f"/suspects/{suspect.ref}")
        assert page.status_code == 200 and f"/suspects/{suspect.ref}/edit" not in page.text
        for path in ("/suspects/new", "/companies/new", f"/suspects/{suspect.ref}/edit"):
            assert (await client.get(path)).status_code == 403, path
        for path in ("/suspects/new", f"/suspects/{suspect.ref}/edit", "/companies/new"):
            refused = await post_form(client, path, SUSPECT_FORM, page="/suspects")
            assert refused.status_code == 403, path
    assert (await CaseStore(ge).party("suspect", suspect.ref)).record == Suspect(surname="Beridze")
    assert await CaseStore(ge).search("suspect", identifier="13AB45678") == []


async def test_an_unknown_party_is_not_found(ge: Node) -> None:
    async with signed_in(create_app(ge), "levan") as levan:
        assert (await levan.get(f"/suspects/{'a' * 32}")).status_code == 404
        assert (await levan.get("/companies/not-a-ref")).status_code == 404
