"""One-click CEN transmission: what leaves, idempotence, revisions, the WCO's feed."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest
from casework import complete_seizure, staffed
from nodes import Network, eventually

from adapters.attached import CaseAdapters, attach
from adapters.casestore import CaseStore
from adapters.cen import age_band, message_id, seizure_ref
from adapters.errors import NotAllowed
from adapters.extraction import export
from message_schemas import CenSeizure, Mail, PartyLink, Suspect, dump_message, new_id


async def national_and_wco(network: Network) -> tuple[CaseAdapters, CaseAdapters]:
    store = await staffed(network, "ge")
    return await attach(store.node), await attach(await network.add("wco"))


async def validated(store: CaseStore, **changes: object) -> str:
    case = await store.create("nino", complete_seizure(**changes))
    await store.submit("nino", case.ref)
    await store.validate("giorgi", case.ref)
    return case.ref


async def feed_of(wco: CaseAdapters, count: int) -> list[dict[str, object]]:
    assert wco.intake is not None

    async def filed() -> bool:
        return len(await wco.intake.feed()) == count

    await eventually(filed)
    return [row.record for row in await wco.intake.feed()]


async def test_transmit_sends_each_validated_seizure_once_to_the_wco(network: Network) -> None:
    ge, wco = await national_and_wco(network)
    suspect = await ge.store.add_party(
        "nino",
        Suspect(surname="Beridze", nationality="TR", gender="male", date_of_birth=date(1985, 6, 1)),
    )
    ref = await validated(ge.store, suspects=[PartyLink(ref=suspect.ref, role="driver")])
    await ge.store.create("nino", complete_seizure(case_number="GE-DRAFT"))  # a draft stays
    assert [t.case_ref for t in await ge.cen.pending()] == [ref]

    sent = await ge.cen.transmit("giorgi")
    assert [t.case_ref for t in sent] == [ref]
    assert await ge.cen.transmit("giorgi") == []  # sending again sends nothing
    [record] = await feed_of(wco, 1)
    assert record["seizure_ref"] == f"ge:{ref}" and record["revision"] == 1
    assert record["offenders"] == [{"nationality": "TR", "gender": "male", "age_band": "36-45"}]
    assert record["commodities"][0]["type"] == "cocaine"  # type: ignore[index]


async def test_a_corrected_case_supersedes_its_earlier_record_at_the_wco(
    network: Network,
) -> None:
    ge, wco = await national_and_wco(network)
    ref = await validated(ge.store)
    await ge.cen.transmit("giorgi")
    await feed_of(wco, 1)
    await ge.store.reopen("giorgi", ref, "the truck came from Iran")
    await ge.store.update("nino", ref, complete_seizure(route={"departure": "IR"}))
    await ge.store.submit("nino", ref)
    await ge.store.validate("giorgi", ref)
    [again] = await ge.cen.transmit("giorgi")
    assert again.revision == 2

    async def superseded() -> bool:
        assert wco.intake is not None
        [row] = await wco.intake.feed()
        return row.revision == 2

    await eventually(superseded)
    [row] = await wco.intake.feed()  # type: ignore[union-attr]
    assert row.record["departure_country"] == "IR" and row.superseded == 1


async def test_national_seizures_are_filed_as_they_arrive_and_the_wcos_own_through_its_mailbox(
    network: Network,
) -> None:
    ge, wco = await national_and_wco(network)
    await validated(ge.store)
    [sent] = await ge.cen.transmit("giorgi")
    await feed_of(wco, 1)

    async def receipted() -> bool:
        deliveries = await ge.store.node.mailbox.deliveries(sent.message_id)
        return [d.status for d in deliveries] == ["delivered"]

    await eventually(receipted)
    assert await wco.store.node.mailbox.folder("cen") == []  # filed in the feed, not kept
    # a seizure submitted at the WCO's node itself goes through cen@wco's mailbox
    [row] = await wco.intake.feed()  # type: ignore[union-attr]
    own = CenSeizure.model_validate(
        {**row.record, "from": "cases@wco", "to": ["cen@wco"], "seizure_ref": f"wco:{new_id()}"}
    )
    await wco.store.node.submit(own)
    records = await feed_of(wco, 2)
    assert {r["seizure_ref"] for r in records} == {f"ge:{sent.case_ref}", own.seizure_ref}
    assert await wco.store.node.mailbox.folder("cen", unread_only=True) == []


async def test_what_is_not_a_seizure_is_refused_at_the_wco_and_kept_in_its_quarantine(
    network: Network,
) -> None:
    ge, wco = await national_and_wco(network)
    hub = ge.store.node
    sent = await hub.submit(Mail(sender="nino@ge", to=["cen@wco"], subject="hello", body="b"))

    async def answered() -> bool:
        return [d.status for d in await hub.mailbox.deliveries(sent.id)] == ["failed"]

    await eventually(answered)
    [delivery] = await hub.mailbox.deliveries(sent.id)
    assert delivery.reason == "cen@wco takes cen.seizure messages, not mail"
    async with wco.store.node.db.reading() as tx:
        [kept] = await tx.quarantine.list()
    assert kept.reason == "refused" and kept.message_id == sent.id
    assert await wco.intake.feed() == []  # type: ignore[union-attr]


async def test_only_admins_transmit(network: Network) -> None:
    ge, _ = await national_and_wco(network)
    await validated(ge.store)
    with pytest.raises(NotAllowed, match="needs admin"):
        await ge.cen.transmit("nino")


async def test_a_transmission_cut_short_sends_nothing_twice_when_run_again(
    network: Network,
) -> None:
    ge, wco = await national_and_wco(network)
    ref = await validated(ge.store)
    [pending] = await ge.cen.pending()
    await ge.store.node.submit(pending.message)  # the hub took it, then the process died
    assert [t.case_ref for t in await ge.cen.transmit("giorgi")] == [ref]
    await feed_of(wco, 1)
    async with wco.store.node.db.transaction() as tx:
        assert await tx.quarantine.count() == 0  # no replayed message id


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(2010, 1, 1), "<18"),
        (date(2000, 5, 2), "18-25"),  # 25 on the day before the birthday
        (date(2000, 5, 1), "26-35"),
        (date(1950, 1, 1), ">65"),
        (None, "unknown"),
        (date(2030, 1, 1), "unknown"),
    ],
)
def test_age_band_at_the_date_of_the_seizure(born: date | None, band: str) -> None:
    assert age_band(born, date(2026, 5, 1)) == band


def test_the_cen_message_is_dumped_through_the_message_schemas() -> None:
    from adapters.cen import project

    message = project("ge", "a" * 32, 1, complete_seizure(), {})
    assert b'"to":["cen@wco"]' in dump_message(message)


async def test_the_wco_exports_its_feed(network: Network, tmp_path: Path) -> None:
    ge, wco = await national_and_wco(network)
    ref = await validated(ge.store)
    await ge.cen.transmit("giorgi")
    await feed_of(wco, 1)
    written = await export(wco.store, "cen-feed", "json", tmp_path / "feed.json")
    [row] = json.loads((tmp_path / "feed.json").read_text())
    assert written == 1 and row["seizure_ref"] == f"ge:{ref}" and row["origin_node"] == "ge"
    assert "cocaine" in json.dumps(row)


def test_a_seizure_revision_travels_under_one_id_and_ids_follow_the_cases_order() -> None:
    refs = []
    for _ in range(3):
        refs.append(seizure_ref("ge", new_id()))
        time.sleep(0.002)  # the next case made in a later millisecond
    ids = [message_id(ref, 1) for ref in refs]
    assert ids == sorted(ids)
    assert [message_id(ref, 1) for ref in refs] == ids  # the same revision, the same id
    assert len({*ids, *(message_id(ref, 2) for ref in refs)}) == 6
    assert all(len(made) == 32 and set(made) <= set("0123456789abcdef") for made in ids)
