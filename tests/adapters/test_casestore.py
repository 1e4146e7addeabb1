"""The case store: entry, the validation workflow, who may do what, suspects and companies."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from casework import complete_seizure

from adapters.casestore import CaseStore
from adapters.errors import NotAllowed, QualityError, WrongState
from message_schemas import Commodity, Company, IdentityDocument, PartyLink, Seizure, Suspect
from storage.cases import SeizureFilter


async def test_a_case_goes_from_draft_through_submission_to_validation(store: CaseStore) -> None:
    case = await store.create("nino", complete_seizure())
    assert case.status == "draft" and case.revision == 0
    assert (await store.submit("nino", case.ref)).status == "submitted"
    validated = await store.validate("giorgi", case.ref)
    assert validated.status == "validated" and validated.revision == 1
    steps = [(s.from_status, s.to_status, s.actor) for s in await store.history(case.ref)]
    assert steps == [
        (None, "draft", "nino"),
        ("draft", "submitted", "nino"),
        ("submitted", "validated", "giorgi"),
    ]
    assert all(s.at.tzinfo is not None for s in await store.history(case.ref))


async def test_a_case_with_several_problems_gets_all_of_them_in_one_answer(
    store: CaseStore,
) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    bad = complete_seizure(
        case_number=None,
        occurred_at=tomorrow,
        place_kind="airport",
        commodities=[
            Commodity(
                category="tobacco", type="cigarettes", quantity=Decimal("2.5"), unit="sticks"
            ),
            Commodity(category="drugs", type="cigarettes", quantity=Decimal("900000"), unit="kg"),
        ],
        source_evaluation=None,
    )
    case = await store.create("nino", bad)
    with pytest.raises(QualityError) as refused:
        await store.submit("nino", case.ref)
    fields = sorted(problem.field for problem in refused.value.problems)
    assert fields == [
        "case_number",
        "commodities.0.quantity",  # 2.5 sticks: not a whole number
        "commodities.1.quantity",  # 900 t of cocaine in one seizure: implausible
        "commodities.1.type",  # cigarettes are not drugs
        "occurred_at",  # in the future
        "place_kind",  # not in the reference list
        "source_evaluation",  # required
    ]
    assert "7 problem(s)" in str(refused.value) and "is in the future" in str(refused.value)
    assert (await store.get(case.ref)).status == "draft"


async def test_only_admins_validate_and_a_return_carries_its_reasons(store: CaseStore) -> None:
    case = await store.create("nino", complete_seizure())
    await store.submit("nino", case.ref)
    with pytest.raises(NotAllowed, match="officer: this needs admin"):
        await store.validate("nino", case.ref)
    returned = await store.return_case("giorgi", case.ref, ["photo of the tyre missing"])
    assert returned.status == "returned"
    assert (await store.history(case.ref))[-1].reasons == ["photo of the tyre missing"]
    with pytest.raises(WrongState, match="only a submitted case can validate"):
        await store.validate("giorgi", case.ref)
    await store.update("nino", case.ref, complete_seizure(narrative="photo added"))
    await store.submit("nino", case.ref)
    assert (await store.validate("giorgi", case.ref)).status == "validated"


async def test_analysts_read_but_do_not_enter_and_officers_edit_only_their_own(
    store: CaseStore,
) -> None:
    with pytest.raises(NotAllowed, match="analyst"):
        await store.create("tamar", complete_seizure())
    await store.node.accounts.add("levan", "officer", "a long enough password")
    case = await store.create("nino", complete_seizure())
    with pytest.raises(NotAllowed, match="entered by nino"):
        await store.update("levan", case.ref, complete_seizure())
    await store.update("giorgi", case.ref, complete_seizure(narrative="admin fixed a typo"))
    await store.node.accounts.deactivate("nino")
    with pytest.raises(NotAllowed, match="deactivated"):
        await store.submit("nino", case.ref)


async def test_a_validated_case_is_corrected_by_reopening_and_gets_a_new_revision(
    store: CaseStore,
) -> None:
    case = await store.create("nino", complete_seizure())
    await store.submit("nino", case.ref)
    await store.validate("giorgi", case.ref)
    with pytest.raises(WrongState, match="validated"):
        await store.update("nino", case.ref, complete_seizure())
    await store.reopen("giorgi", case.ref, "quantity was 12.8 kg")
    await store.update("nino", case.ref, complete_seizure())
    await store.submit("nino", case.ref)
    assert (await store.validate("giorgi", case.ref)).revision == 2


async def test_cases_link_suspects_and_companies_that_many_cases_share(store: CaseStore) -> None:
    suspect = await store.add_party("nino", Suspect(surname="Beridze", given_names="Nino"))
    company = await store.add_party("nino", Company(name="Kartli Trans LLC", country="GE"))
    links = {
        "suspects": [PartyLink(ref=suspect.ref, role="driver")],
        "companies": [PartyLink(ref=company.ref, role="carrier")],
    }
    first = await store.create("nino", complete_seizure(**links))
    second = await store.create("nino", complete_seizure(case_number="GE-2026-0002", **links))
    cases = await store.cases_of("suspect", suspect.ref)
    assert [(case.ref, role) for case, role in cases] == [
        (first.ref, "driver"),
        (second.ref, "driver"),
    ]
    dangling = complete_seizure(suspects=[PartyLink(ref="f" * 32)])
    with pytest.raises(QualityError, match="no such record"):
        await store.create("nino", dangling)


async def test_suspects_are_found_by_latin_spelling_of_georgian_and_cyrillic_names(
    store: CaseStore,
) -> None:
    georgian = await store.add_party(
        "nino",
        Suspect(
            surname="ბერიძე",
            given_names="ნინო",
            documents=[
                IdentityDocument(type="passport", number="13 AB-45678", issuing_country="GE")
            ],
        ),
    )
    russian = await store.add_party(
        "nino", Suspect(surname="Саакашвили", given_names="Михаил", aliases=["Миша"])
    )
    await store.add_party("nino", Suspect(surname="Müller", given_names="Jürgen"))

    async def found(**query: str) -> set[str]:
        return {party.ref for party in await store.search("suspect", **query)}

    assert await found(name="beridze") == {georgian.ref}
    assert await found(name="NINO BER") == {georgian.ref}
    assert await found(name="berid") == {georgian.ref}  # cut inside the "dz" of Beridze
    assert await found(name="berish") == set()
    assert await found(name="mikhail saakashvili") == {russian.ref}
    assert await found(name="Mihail") == {russian.ref}
    assert await found(name="misha") == {russian.ref}
    assert len(await found(name="muller")) == 1
    assert await found(identifier="13ab45678") == {georgian.ref}
    assert await found(name="tamar") == set()


async def test_searching_and_reading_do_not_wait_for_a_writer(store: CaseStore) -> None:
    suspect = await store.add_party("nino", Suspect(surname="Beridze", given_names="Nino"))
    entered, release = asyncio.Event(), asyncio.Event()

    async def writing() -> None:  # a long transaction: a feed being filed, an import
        async with store.db.transaction():
            entered.set()
            await release.wait()

    writer = asyncio.create_task(writing())
    await entered.wait()
    try:
        found = await asyncio.wait_for(store.search("suspect", name="beri"), 5)
        assert [party.ref for party in found] == [suspect.ref]
        assert (await asyncio.wait_for(store.party("suspect", suspect.ref), 5)).ref == suspect.ref
        assert await asyncio.wait_for(store.cases_of("suspect", suspect.ref), 5) == []
    finally:
        release.set()
        await writer


async def test_a_name_is_found_whatever_the_case_accents_and_script_typed(
    store: CaseStore,
) -> None:
    muller = await store.add_party("nino", Suspect(surname="Müller", given_names="Jürgen"))
    beridze = await store.add_party("nino", Suspect(surname="ბერიძე", given_names="ნინო"))
    shevardnadze = await store.add_party("nino", Suspect(surname="Шеварднадзе"))

    async def found(name: str) -> list[str]:
        return [party.ref for party in await store.search("suspect", name=name)]

    for typed in ("MÜLLER", "muller", "Mül", "jurgen MUL", "JÜRG"):
        assert await found(typed) == [muller.ref], typed
    for typed in ("ᲑᲔᲠᲘᲫᲔ", "ბერ", "Берид", "BERIDZE", "nino beridze", "Beridse"):
        assert await found(typed) == [beridze.ref], typed
    for typed in ("SHEVARDNADZE", "Schewardnadse", "Ševardnadze", "шевард"):
        assert await found(typed) == [shevardnadze.ref], typed
    assert await found("mue") == []


async def test_a_name_is_found_behind_many_that_only_share_its_first_letters(
    store: CaseStore,
) -> None:
    for number in range(5):
        await store.add_party("nino", Suspect(surname="Berishvili", given_names=f"Gela{number}"))
    beridze = await store.add_party("nino", Suspect(surname="Beridze"))
    assert [p.ref for p in await store.search("suspect", name="berid", limit=1)] == [beridze.ref]
    assert len(await store.search("suspect", name="beri", limit=3)) == 3


async def test_the_words_typed_must_begin_one_name_not_several(store: CaseStore) -> None:
    """The index knows every word of a suspect's names together; one name must fit."""
    for _ in range(2):
        await store.add_party(
            "nino", Suspect(surname="Saakashvili", given_names="Mikheil", aliases=["Misha"])
        )
    misha = await store.add_party("nino", Suspect(surname="Saakashvili", given_names="Misha"))
    found = await store.search("suspect", name="misha saakashvili", limit=1)
    assert [party.ref for party in found] == [misha.ref]
    assert len(await store.search("suspect", name="saakashvili")) == 3


async def test_suspects_and_companies_of_the_same_name_are_searched_apart(
    store: CaseStore,
) -> None:
    suspect = await store.add_party("nino", Suspect(surname="Kartveli"))
    company = await store.add_party("nino", Company(name="Kartveli Trans", country="GE"))
    assert [p.ref for p in await store.search("suspect", name="kartv")] == [suspect.ref]
    assert [p.ref for p in await store.search("company", name="kartv")] == [company.ref]


async def test_companies_are_found_by_name_and_registration_number(store: CaseStore) -> None:
    company = await store.add_party(
        "giorgi",
        Company(name="Batumi Logistics", registration_number="404-123.456", country="GE"),
    )
    assert [c.ref for c in await store.search("company", name="batumi")] == [company.ref]
    assert [c.ref for c in await store.search("company", identifier="404123456")] == [company.ref]


async def test_a_suspect_with_problems_is_refused_with_all_of_them(store: CaseStore) -> None:
    with pytest.raises(QualityError) as refused:
        await store.add_party(
            "nino",
            Suspect(date_of_birth=date.today() + timedelta(days=3), nationality="QQ", gender="x"),
        )
    assert sorted(p.field for p in refused.value.problems) == [
        "date_of_birth",
        "gender",
        "nationality",
        "surname",
    ]


async def test_cases_are_listed_by_commodity_place_status_and_date(store: CaseStore) -> None:
    drugs = await store.create("nino", complete_seizure())
    tobacco = await store.create(
        "nino",
        complete_seizure(
            place_kind="air",
            occurred_at=datetime(2025, 3, 1, tzinfo=UTC),
            commodities=[
                Commodity(
                    category="tobacco", type="cigarettes", quantity=Decimal(4000), unit="sticks"
                )
            ],
        ),
    )
    await store.submit("nino", tobacco.ref)

    async def listed(**where: object) -> list[str]:
        return [case.ref for case in await store.list(SeizureFilter(**where))]  # type: ignore[arg-type]

    assert await listed(category="tobacco") == [tobacco.ref]
    assert await listed(place_kind="land") == [drugs.ref]
    assert await listed(status="submitted") == [tobacco.ref]
    assert await listed(until=date(2025, 12, 31)) == [tobacco.ref]
    assert set(await listed()) == {drugs.ref, tobacco.ref}


def test_an_empty_draft_is_a_valid_record() -> None:
    assert Seizure().commodities == []
