"""Property: no personal data or free text ever reaches the WCO.

Cases are generated whose every nominal field and free text carries a recognisable marker
(Latin, Georgian or Cyrillic); none of the markers may appear in the ``cen.seizure``
message, nor, end to end, anywhere in the WCO node's storage (its database files and
data directory, read as bytes).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from casework import complete_seizure
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nodes import LOCAL_SQLITE, Network, add_user, eventually

from adapters.attached import CaseAdapters, attach
from adapters.cen import project
from hub.accounts import Role
from message_schemas import (
    Company,
    Conveyance,
    IdentityDocument,
    PartyLink,
    Photo,
    Suspect,
    dump_message,
)

LATIN = "abcdefghijklmnopqrstuvwxyz"
GEORGIAN = "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщыэюя"


def marker() -> st.SearchStrategy[str]:
    """A string that cannot occur by chance: a fixed prefix and ten letters of one script."""
    return st.sampled_from([LATIN, GEORGIAN, CYRILLIC]).flatmap(
        lambda script: st.text(script, min_size=10, max_size=10).map(lambda s: "pii" + s)
    )


@st.composite
def nominal_case(draw: st.DrawFn) -> tuple[dict[str, object], Suspect, Company, list[str]]:
    """A complete case, one suspect and one company; every nominal value is a marker."""
    used: list[str] = []

    def m() -> str:
        used.append(draw(marker()))
        return used[-1]

    born = draw(st.dates(date(1940, 1, 1), date(2005, 12, 31)))
    suspect = Suspect(
        surname=m(),
        given_names=m(),
        aliases=[m()],
        date_of_birth=born,
        gender=draw(st.sampled_from(["female", "male", None])),
        nationality=draw(st.sampled_from(["GE", "TR", "AM", None])),
        documents=[IdentityDocument(type="passport", number=m(), issuing_country="GE")],
        addresses=[m()],
        notes=m(),
    )
    company = Company(
        name=m(), registration_number=m(), address=m(), activity=m(), notes=m(), country="GE"
    )
    photo_digest = draw(st.text("0123456789abcdef", min_size=64, max_size=64))
    base = complete_seizure()
    changes: dict[str, object] = {
        "case_number": m(),
        "narrative": m(),
        "concealment_description": m(),
        "conveyance": Conveyance(mode="road", type="truck", identifier=m()),
        "photos": [Photo(sha256=photo_digest, filename=m())],
        "commodities": [
            base.commodities[0].model_copy(update={"description": m()}),
        ],
    }
    used += [born.isoformat(), photo_digest]
    return changes, suspect, company, used


def leaks(data: bytes, markers: list[str]) -> list[str]:
    """The markers found in ``data``, as UTF-8 or as JSON's \\u escapes."""
    return [
        marker
        for marker in markers
        if marker.encode() in data or json.dumps(marker).strip('"').encode() in data
    ]


@given(nominal_case())
@settings(max_examples=200, deadline=None)
def test_the_cen_projection_carries_no_nominal_value(
    generated: tuple[dict[str, object], Suspect, Company, list[str]],
) -> None:
    changes, suspect, _company, markers = generated
    seizure = complete_seizure(
        **changes,
        suspects=[PartyLink(ref="a" * 32, role="driver")],
        companies=[PartyLink(ref="b" * 32, role="carrier")],
    )
    message = project("ge", "c" * 32, 1, seizure, {"a" * 32: suspect})
    assert leaks(dump_message(message), markers) == []
    assert len(message.offenders) == 1


@pytest.fixture
async def ge_and_wco(tmp_path: Path) -> AsyncIterator[tuple[CaseAdapters, CaseAdapters, Path]]:
    network = Network(tmp_path, LOCAL_SQLITE)
    try:
        ge = await network.add("ge")
        await add_user(ge, "nino", Role.OFFICER)
        await add_user(ge, "giorgi", Role.ADMIN)
        wco = await network.add("wco")
        yield await attach(ge), await attach(wco), tmp_path / "wco"
    finally:
        await network.close()


@given(nominal_case())
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
async def test_no_nominal_value_reaches_anything_the_wco_node_stores(
    ge_and_wco: tuple[CaseAdapters, CaseAdapters, Path],
    generated: tuple[dict[str, object], Suspect, Company, list[str]],
) -> None:
    ge, wco, wco_dir = ge_and_wco
    changes, suspect, company, markers = generated
    person = await ge.store.add_party("nino", suspect)
    firm = await ge.store.add_party("nino", company)
    case = await ge.store.create(
        "nino",
        complete_seizure(
            **changes,
            occurred_at=datetime.now(UTC) - timedelta(hours=1),
            suspects=[PartyLink(ref=person.ref, role="driver")],
            companies=[PartyLink(ref=firm.ref, role="carrier")],
        ),
    )
    await ge.store.submit("nino", case.ref)
    await ge.store.validate("giorgi", case.ref)
    [sent] = await ge.cen.transmit("giorgi")
    async with ge.store.node.db.transaction() as tx:  # the message as the hub took it
        assert leaks((await tx.mailbox.get(sent.message_id)).payload, markers) == []

    async def filed() -> bool:
        assert wco.intake is not None
        return any(row.seizure_ref == f"ge:{case.ref}" for row in await wco.intake.feed(1000))

    await eventually(filed)
    stored = b"".join(path.read_bytes() for path in wco_dir.rglob("*") if path.is_file())
    assert stored and leaks(stored, markers) == []
    # the same markers are at the national node: the scan would have found a leak
    national = b"".join(p.read_bytes() for p in (wco_dir.parent / "ge").rglob("*") if p.is_file())
    assert leaks(national, [markers[0]]) == [markers[0]]
