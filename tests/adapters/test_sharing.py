"""Sharing validated cases with partner nodes; the receiver enforces the handling code."""

from __future__ import annotations

import pytest
from casework import complete_seizure, staffed
from nodes import Network, eventually

from adapters.attached import CaseAdapters, attach
from adapters.casestore import CaseView
from adapters.errors import CaseError, HandlingRefused, WrongState
from message_schemas import Company, HandlingCode, PartyLink, Suspect


async def partners(network: Network, *ids: str) -> list[CaseAdapters]:
    return [await attach((await staffed(network, node_id)).node) for node_id in ids]


async def validated_case(ge: CaseAdapters) -> str:
    suspect = await ge.store.add_party("nino", Suspect(surname="ბერიძე", given_names="ნინო"))
    company = await ge.store.add_party("nino", Company(name="Kartli Trans", country="GE"))
    case = await ge.store.create(
        "nino",
        complete_seizure(
            suspects=[PartyLink(ref=suspect.ref, role="driver")],
            companies=[PartyLink(ref=company.ref, role="carrier")],
        ),
    )
    await ge.store.submit("nino", case.ref)
    await ge.store.validate("giorgi", case.ref)
    return case.ref


async def arrival(at: CaseAdapters, ref: str, revision: int = 1) -> CaseView:
    async def filed() -> bool:
        try:
            return (await at.store.get(ref)).revision == revision
        except CaseError:
            return False

    await eventually(filed)
    return await at.store.get(ref)


async def test_a_shared_case_is_filed_foreign_with_its_people_and_code(network: Network) -> None:
    ge, am = await partners(network, "ge", "am")
    ref = await validated_case(ge)
    await ge.sharing.share("giorgi", ref, ["am"], HandlingCode.H1)
    case = await arrival(am, ref)
    assert (case.foreign, case.origin_node, case.handling_code) == (True, "ge", "H1")
    assert case.status == "validated" and case.seizure == (await ge.store.get(ref)).seizure
    [found] = await am.store.search("suspect", name="nino beridze")
    assert found.foreign and found.origin_node == "ge"
    assert [c.ref for c, role in await am.store.cases_of("suspect", found.ref)] == [ref]
    with pytest.raises(WrongState, match="ge's, shared with this node"):
        await am.store.reopen("giorgi", ref, "not ours")


async def test_resharing_an_information_only_case_is_refused_at_the_receiver(
    network: Network,
) -> None:
    ge, am, _ua = await partners(network, "ge", "am", "ua")
    ref = await validated_case(ge)
    await ge.sharing.share("giorgi", ref, ["am"], HandlingCode.H2)
    await arrival(am, ref)
    with pytest.raises(HandlingRefused, match=r"handling code H2 \(information only\)"):
        await am.sharing.share("giorgi", ref, ["ua"], HandlingCode.H2)


async def test_a_case_that_may_be_passed_on_reaches_a_third_node(network: Network) -> None:
    ge, am, ua = await partners(network, "ge", "am", "ua")
    ref = await validated_case(ge)
    await ge.sharing.share("giorgi", ref, ["am"], HandlingCode.H0)
    await arrival(am, ref)
    await am.sharing.share("giorgi", ref, ["ua"], HandlingCode.H1)
    case = await arrival(ua, ref)
    assert (case.origin_node, case.handling_code) == ("ge", "H1")


async def test_a_new_revision_replaces_the_shared_one(network: Network) -> None:
    ge, am = await partners(network, "ge", "am")
    ref = await validated_case(ge)
    await ge.sharing.share("giorgi", ref, ["am"], HandlingCode.H1)
    await arrival(am, ref)
    await ge.store.reopen("giorgi", ref, "more cocaine found")
    current = (await ge.store.get(ref)).seizure
    await ge.store.update("nino", ref, current.model_copy(update={"narrative": "second search"}))
    await ge.store.submit("nino", ref)
    await ge.store.validate("giorgi", ref)
    await ge.sharing.share("giorgi", ref, ["am"], HandlingCode.H1)
    case = await arrival(am, ref, revision=2)
    assert case.seizure.narrative == "second search"


async def test_only_validated_cases_are_shared(network: Network) -> None:
    ge, _am = await partners(network, "ge", "am")
    draft = await ge.store.create("nino", complete_seizure())
    with pytest.raises(CaseError, match="only a validated case is shared"):
        await ge.sharing.share("giorgi", draft.ref, ["am"], HandlingCode.H0)
