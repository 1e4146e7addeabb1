"""The CEN page: what will leave for the WCO (the non-nominal projection of each validated
seizure), what never leaves, and the one-click transmission; administrators only.

Embedded default only (SQLite and the local spool); the WCO's node is in the same network
and files what arrives in its feed.
"""

from __future__ import annotations

from datetime import date

from casepages import post_form, signed_in
from casework import complete_seizure
from nodes import Network, eventually

from adapters.attached import attach
from adapters.casestore import CaseStore
from hub.node import Node
from hub.web import create_app
from message_schemas import PartyLink, Suspect


async def validated_with_a_suspect(ge: Node) -> str:
    store = CaseStore(ge)
    suspect = await store.add_party(
        "levan",
        Suspect(
            surname="Beridze",
            given_names="Giorgi",
            nationality="TR",
            gender="male",
            date_of_birth=date(1985, 6, 1),
        ),
    )
    case = await store.create(
        "levan",
        complete_seizure(
            case_number="GE-CEN-1",
            narrative="Secret narrative of the officers",
            suspects=[PartyLink(ref=suspect.ref, role="driver")],
        ),
    )
    await store.submit("levan", case.ref)
    await store.validate("nino", case.ref)
    return case.ref


async def test_the_cen_page_shows_what_will_leave_and_what_never_leaves(ge: Node) -> None:
    ref = await validated_with_a_suspect(ge)
    await CaseStore(ge).create("levan", complete_seizure(case_number="GE-DRAFT"))
    async with signed_in(create_app(ge), "nino") as nino:
        page = (await nino.get("/cen")).text
    pending = page[page.index('id="pending-title"') : page.index('id="never-title"')]
    assert f'href="/cases/{ref}"' in pending and "GE-DRAFT" not in pending  # drafts stay
    assert "Cocaine (hydrochloride, base, crack) (Drugs): 12.5 kg, 450,000 EUR" in pending
    assert "Turkey" in pending or "Türkiye" in pending  # the offender's nationality
    assert "Male" in pending and "36-45" in pending
    for nominal in ("Beridze", "Giorgi", "Secret narrative", "GE-123-AB", "spare tyre"):
        assert nominal not in pending, nominal
    never = page[page.index('id="never-title"') :]
    for label in (
        "Narrative",
        "Surname",
        "Date of birth",
        "Conveyance identifier",
        "Concealment photos",
    ):
        assert label in never, label
    assert "1 seizure will go." in page


async def test_one_click_transmits_every_pending_seizure_and_says_how_many(
    network: Network, ge: Node
) -> None:
    wco = await attach(await network.add("wco"))
    await attach(ge)  # as icomm serve does: the case store's mailbox, cases@ge, sends
    ref = await validated_with_a_suspect(ge)
    async with signed_in(create_app(ge), "nino") as nino:
        sent = await post_form(nino, "/cen/transmit", {}, page="/cen")
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == "/cen?sent=1"
        after = await nino.get(sent.headers["location"])
        assert "1 seizure was sent to cen@wco." in after.text
        assert "Nothing to send: every validated seizure has gone." in after.text
        resent = await post_form(nino, "/cen/transmit", {}, page="/cen")
        assert resent.status_code == 303, resent.text
        again = await nino.get(resent.headers["location"])
        assert "Nothing was sent: every validated seizure had already gone." in again.text
    assert wco.intake is not None

    async def filed() -> bool:
        return len(await wco.intake.feed()) == 1  # type: ignore[union-attr]

    await eventually(filed)
    [row] = await wco.intake.feed()
    assert row.seizure_ref == f"ge:{ref}"
    assert "Beridze" not in str(row.record) and "Secret" not in str(row.record)


async def test_officers_neither_see_nor_transmit_to_the_cen(ge: Node) -> None:
    await validated_with_a_suspect(ge)
    async with signed_in(create_app(ge), "levan") as levan:
        page = await levan.get("/cen")
        assert page.status_code == 403
        assert "Only administrators validate cases and send them to the WCO&#39;s CEN." in page.text
        refused = await post_form(levan, "/cen/transmit", {})
        assert refused.status_code == 403
    assert len(await (await attach(ge)).cen.pending()) == 1
