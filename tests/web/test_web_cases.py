"""The case pages: entering a seizure (drafts with gaps, every problem at once on submission,
rows added without JavaScript), one case's page, and the list with its filters.

Embedded default only (SQLite and the local spool); a browser is an httpx client.
"""

from __future__ import annotations

import html
import re
from datetime import UTC
from decimal import Decimal
from html.parser import HTMLParser

from babel.dates import format_datetime
from casepages import complete_form, post_form, saved_ref, signed_in
from casework import complete_seizure

from adapters.casestore import CaseStore
from hub.node import Node
from hub.web import create_app
from message_schemas import Commodity, Suspect


def problems_beside(page: str, field: str) -> list[str]:
    """The problems the page shows under the input ``field``."""
    match = re.search(
        rf'<ul class="field-problems" id="{re.escape(field)}-problems">(.*?)</ul>', page, re.S
    )
    return (
        [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1))]
        if match
        else []
    )


def input_value(page: str, field: str) -> str:
    match = re.search(rf'<input id="{re.escape(field)}" name="[^"]+"[^>]*? value="([^"]*)"', page)
    assert match, f"no input {field}"
    return html.unescape(match.group(1))


async def test_an_officer_enters_a_case_and_finds_it_in_the_list(ge: Node) -> None:
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        form = await levan.get("/cases/new")
        assert form.status_code == 200
        for field in ("case_number", "occurred_at", "commodities.0.quantity", "route.transit"):
            assert f'<label for="{field}">' in form.text
        ref = saved_ref(await post_form(levan, "/cases/new", complete_form()))
        page = await levan.get(f"/cases/{ref}?done=saved")
        assert "The draft is saved." in page.text
        assert "GE-2026-0042" in page.text and "Hidden compartment in a vehicle" in page.text
        assert "TR → GE → AM" in page.text
        assert "entered as" in page.text and "levan" in page.text  # the history's first step
        listed = await levan.get("/cases")
        assert f'href="/cases/{ref}"' in listed.text and "GE-SARPI" in listed.text
        assert '<span class="status draft">draft</span>' in listed.text
    case = await CaseStore(ge).get(ref)
    assert case.status == "draft" and case.created_by == "levan"
    [commodity] = case.seizure.commodities  # the blank row is dropped
    assert commodity == Commodity(
        category="drugs",
        type="cocaine",
        description="white powder in the spare tyre",
        quantity=Decimal("12.5"),
        unit="kg",
        value=Decimal("450000"),
        currency="EUR",
    )
    assert case.seizure.route.transit == ["GE"] and case.seizure.conveyance is not None


async def test_a_draft_with_gaps_is_saved_and_its_page_says_what_it_still_lacks(ge: Node) -> None:
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        ref = saved_ref(
            await post_form(levan, "/cases/new", {"case_number": "GE-DRAFT-1", "action": "save"})
        )
        page = await levan.get(f"/cases/{ref}")
        assert "Before it can be submitted, this case needs 8 corrections:" in page.text
        assert "Date and time (UTC): required" in page.text
        assert "Commodities: at least one commodity is required" in page.text
    assert (await CaseStore(ge).get(ref)).status == "draft"


async def test_submitting_shows_every_problem_at_once_beside_its_field_keeping_what_was_typed(
    ge: Node,
) -> None:
    app = create_app(ge)
    typed = complete_form(
        occurred_at="",
        office="GE SARPI!",
        **{
            "commodities.0.category": "tobacco",  # cocaine is not tobacco
            "commodities.0.quantity": "twelve",
            "commodities.0.unit": "",
            "route.transit": ["ZZ"],
            "narrative": "Keep every word of this <narrative>.",
            "action": "submit",
        },
    )
    async with signed_in(app, "levan") as levan:
        refused = await post_form(levan, "/cases/new", typed)
    assert refused.status_code == 400
    page = refused.text
    assert "Nothing is saved yet: correct these." in page
    assert problems_beside(page, "occurred_at") == ["required"]
    assert problems_beside(page, "office") == ["not in the expected form"]  # pydantic's pattern
    assert problems_beside(page, "commodities.0.quantity") == ["not a number"]
    assert problems_beside(page, "commodities.0.unit") == ["required"]
    assert problems_beside(page, "commodities.0.type") == [
        "'cocaine' is not of the category 'tobacco'"
    ]
    assert problems_beside(page, "route.transit") == ["'ZZ' is not in the reference list countries"]
    summary = page[page.index('id="problems"') : page.index("</div>", page.index('id="problems"'))]
    for anchor in (
        "occurred_at",
        "office",
        "commodities.0.quantity",
        "commodities.0.unit",
        "route.transit",
    ):
        assert f'href="#{anchor}"' in summary
    assert "Quantity, Commodity 1" in summary
    # what was typed comes back as typed, wrong values included
    assert input_value(page, "commodities.0.quantity") == "twelve"
    assert input_value(page, "office") == "GE SARPI!"
    assert "Keep every word of this &lt;narrative&gt;." in page
    assert '<option value="ZZ" selected>ZZ</option>' in page
    assert await CaseStore(ge).list() == []


async def test_a_case_that_parses_is_saved_as_a_draft_even_when_submission_is_refused(
    ge: Node,
) -> None:
    app = create_app(ge)
    typed = complete_form(detection_method="", source_evaluation="", action="submit")
    async with signed_in(app, "levan") as levan:
        refused = await post_form(levan, "/cases/new", typed)
        assert refused.status_code == 400
        assert "The draft is saved, but it cannot be submitted yet." in refused.text
        assert problems_beside(refused.text, "detection_method") == ["required"]
        assert problems_beside(refused.text, "source_evaluation") == ["required"]
        [case] = await CaseStore(ge).list()
        assert f'action="/cases/{case.ref}/edit"' in refused.text  # the next try edits it
        assert case.status == "draft"
        fixed = complete_form(action="submit")
        done = await post_form(levan, f"/cases/{case.ref}/edit", fixed)
        assert done.headers["location"] == f"/cases/{case.ref}?done=submitted"
    assert (await CaseStore(ge).get(case.ref)).status == "submitted"


async def test_add_row_gives_one_more_commodity_row_and_blank_rows_are_dropped(ge: Node) -> None:
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        more = await post_form(levan, "/cases/new", complete_form(action="add:commodities"))
        assert more.status_code == 200
        assert 'id="commodities.2.category"' in more.text  # row 0 typed, 1 blank, 2 new
        assert input_value(more.text, "commodities.0.quantity") == "12.5"
        assert await CaseStore(ge).list() == []  # adding a row saves nothing
        typed = complete_form(
            **{
                "commodities.2.category": "tobacco",
                "commodities.2.type": "cigarettes",
                "commodities.2.quantity": "2000",
                "commodities.2.unit": "pieces",
                "action": "save",
            }
        )
        ref = saved_ref(await post_form(levan, "/cases/new", typed))
        form = await levan.get(f"/cases/{ref}/edit")
        assert input_value(form.text, "commodities.1.quantity") == "2000"
    commodities = (await CaseStore(ge).get(ref)).seizure.commodities
    assert [c.type for c in commodities] == ["cocaine", "cigarettes"]


async def test_the_list_filters_by_status_origin_category_and_text(ge: Node) -> None:
    store = CaseStore(ge)
    drugs = await store.create("levan", complete_seizure(case_number="GE-DRUGS-1"))
    tobacco = await store.create(
        "levan",
        complete_seizure(
            case_number="GE-SMOKE-2",
            narrative="Cigarettes hidden in a fuel tank",
            commodities=[
                Commodity(
                    category="tobacco", type="cigarettes", quantity=Decimal(2000), unit="pieces"
                )
            ],
        ),
    )
    await store.submit("levan", tobacco.ref)
    app = create_app(ge)

    async def listed(query: str) -> set[str]:
        page = await tamar.get(f"/cases?{query}")
        assert page.status_code == 200
        return {ref for ref in (drugs.ref, tobacco.ref) if f'href="/cases/{ref}"' in page.text}

    async with signed_in(app, "tamar") as tamar:
        assert await listed("") == {drugs.ref, tobacco.ref}
        assert await listed("status=submitted") == {tobacco.ref}
        assert await listed("category=drugs") == {drugs.ref}
        assert await listed("q=fuel+tank") == {tobacco.ref}
        assert await listed("q=ge-drugs") == {drugs.ref}
        assert await listed("origin=own") == {drugs.ref, tobacco.ref}
        assert await listed("origin=foreign") == set()
        nothing = await tamar.get("/cases?q=nowhere")
        assert "No case matches." in nothing.text


async def test_navigation_offers_the_case_pages_and_admins_also_validation_and_cen(
    ge: Node,
) -> None:
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        page = (await levan.get("/cases")).text
        for link in ('href="/cases"', 'href="/suspects"', 'href="/companies"'):
            assert link in page
        assert 'href="/cases/queue"' not in page and 'href="/cen"' not in page
    async with signed_in(app, "nino") as nino:
        page = (await nino.get("/cases")).text
        assert 'href="/cases/queue"' in page and 'href="/cen"' in page


class Inputs(HTMLParser):
    """The ids of a page's inputs (not hidden ones), the ``for`` of its labels, all its ids."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[str] = []
        self.labelled: set[str] = set()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        hidden = found.get("type") == "hidden" or found.get("aria-hidden") == "true"
        if tag in ("input", "select", "textarea") and not hidden:
            self.inputs.append(str(found.get("id")))


async def test_every_input_of_the_case_pages_has_a_label(ge: Node) -> None:
    store = CaseStore(ge)
    submitted = await store.create("levan", complete_seizure())
    await store.submit("levan", submitted.ref)
    draft = await store.create("nino", complete_seizure())
    suspect = await store.add_party("nino", Suspect(surname="Beridze"))
    pages = [
        "/cases",
        "/cases/new",
        f"/cases/{draft.ref}",
        f"/cases/{draft.ref}/edit",
        f"/cases/{submitted.ref}",
        "/cases/queue",
        "/suspects?name=beridze",
        "/suspects/new",
        f"/suspects/{suspect.ref}/edit",
        "/companies/new",
    ]
    async with signed_in(create_app(ge), "nino") as nino:
        for path in pages:
            page = await nino.get(path)
            assert page.status_code == 200, path
            parsed = Inputs()
            parsed.feed(page.text)
            assert parsed.inputs, path
            assert [i for i in parsed.inputs if i not in parsed.labelled] == [], path
            assert len(parsed.ids) == len(set(parsed.ids)), path


async def test_the_case_pages_speak_the_readers_language(ge: Node) -> None:
    await ge.accounts.set_language("levan", "ru")
    await ge.accounts.set_language("tamar", "ka")
    app = create_app(ge)
    async with signed_in(app, "levan") as levan:
        form = await levan.get("/cases/new")
        assert '<label for="case_number">Номер дела</label>' in form.text
        assert "Сохранить черновик" in form.text and "Товар 1" in form.text
        refused = await post_form(
            levan, "/cases/new", complete_form(occurred_at="", action="submit")
        )
        assert "Дата и время (UTC)" in refused.text
        ref = saved_ref(await post_form(levan, "/cases/new", complete_form()))
        page = await levan.get(f"/cases/{ref}?done=saved")
        assert "Черновик сохранён." in page.text and "черновик" in page.text
        occurred = (await CaseStore(ge).get(ref)).seizure.occurred_at
        assert occurred is not None  # shown the reader's way
        assert format_datetime(occurred, "medium", tzinfo=UTC, locale="ru") in page.text
    async with signed_in(app, "tamar") as tamar:
        listed = await tamar.get("/cases")
        assert "საქმეები" in listed.text and "მონახაზი" in listed.text
