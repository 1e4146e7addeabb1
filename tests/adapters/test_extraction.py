"""Extraction: export to CSV, JSON and XLSX and import back, filters, streaming, the CLI."""

from __future__ import annotations

import asyncio
import csv
import gc
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import typer
from casework import complete_seizure, staffed
from nodes import Network
from typer.testing import CliRunner

from adapters.casestore import CaseStore, commodity_index, new_ref, seizure_columns
from adapters.errors import NotAllowed
from adapters.extraction import ExtractionError, count, export, import_csv, import_file
from adapters.reference import versions
from hub.cli import app as icomm
from hub.cli.extraction import export_command, import_command
from hub.config import Settings
from hub.node import Node
from message_schemas import (
    Commodity,
    Company,
    IdentityDocument,
    PartyLink,
    Photo,
    Route,
    Suspect,
    record_document,
)
from storage.cases import FeedEntry, SeizureFilter, SeizureRow
from storage.cases.repository import STREAM_BATCH

NOW = datetime.now(UTC).replace(microsecond=0)
OCCURRED = NOW - timedelta(days=2, microseconds=-250_000)  # milliseconds: XLSX's precision


@dataclass(frozen=True)
class Sample:
    suspects: list[str]
    companies: list[str]
    cases: list[str]


async def sample(store: CaseStore) -> Sample:
    """Georgian text, decimals, links with and without a role, a validated case, a photo."""
    nino = await store.add_party(
        "nino",
        Suspect(
            surname="ბერიძე",
            given_names="ნინო",
            aliases=["Nina; B.", "ნ. ბ."],
            date_of_birth=date(1985, 3, 14),
            gender="female",
            nationality="GE",
            documents=[IdentityDocument(type="passport", number="13AB45678", issuing_country="GE")],
            addresses=["თბილისი, რუსთაველის 12", 'Batumi; "Port" 3'],
            notes='line one\nline two, "quoted"',
        ),
    )
    petrov = await store.add_party("nino", Suspect(surname="Petrov"))
    trans = await store.add_party(
        "nino",
        Company(
            name="შპს ქართლი ტრანსი",
            registration_number="404-123",
            country="GE",
            address="ფოთი",
            activity="freight",
            role="carrier",
            notes='=HYPERLINK("http://example.com")',
        ),
    )
    first = await store.create(
        "nino",
        complete_seizure(
            occurred_at=OCCURRED,
            narrative="ნარკოტიკი სათადარიგო საბურავში",
            commodities=[
                Commodity(
                    category="drugs",
                    type="cocaine",
                    description="თეთრი ფხვნილი",
                    quantity=Decimal("12.500"),
                    unit="kg",
                    value=Decimal("450000.75"),
                    currency="EUR",
                ),
                Commodity(category="drugs", type="heroin", quantity=Decimal("0.001"), unit="g"),
            ],
            photos=[Photo(sha256="ab" * 32, filename="საბურავი.jpg")],
            suspects=[PartyLink(ref=nino.ref, role="driver"), PartyLink(ref=petrov.ref)],
            companies=[PartyLink(ref=trans.ref, role="carrier")],
        ),
    )
    await store.submit("nino", first.ref)
    await store.validate("giorgi", first.ref)
    second = await store.create(
        "nino",
        complete_seizure(
            case_number="GE-2026-0002",
            place_kind="air",
            occurred_at=NOW - timedelta(days=5),
            commodities=[
                Commodity(
                    category="tobacco", type="cigarettes", quantity=Decimal(2000), unit="sticks"
                )
            ],
            conveyance=None,
            route=Route(departure="TR"),
            concealment_method=None,
        ),
    )
    return Sample([nino.ref, petrov.ref], [trans.ref], [first.ref, second.ref])


async def documents(store: CaseStore, refs: Sample) -> dict[str, object]:
    found: dict[str, object] = {}
    for kind, group in (("suspect", refs.suspects), ("company", refs.companies)):
        for ref in group:
            found[ref] = record_document((await store.party(kind, ref)).record)
    for ref in refs.cases:
        found[ref] = record_document((await store.get(ref)).seizure)
    return found


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
async def test_export_then_import_reproduces_the_records(
    store: CaseStore, network: Network, tmp_path: Path, fmt: str
) -> None:
    refs = await sample(store)
    other = await staffed(network, "am")
    for dataset in ("suspects", "companies", "seizures"):  # parties first: cases link to them
        path = tmp_path / f"{dataset}.{fmt}"
        await export(store, dataset, fmt, path)
        report = await import_file(other, dataset, path, "nino")
        assert report.ok, [str(problem) for problem in report.problems]
        assert report.imported == {"suspects": 2, "companies": 1, "seizures": 2}[dataset]
    assert await documents(other, refs) == await documents(store, refs)
    imported = await other.get(refs.cases[0])
    assert (imported.status, imported.origin_node, imported.created_by) == ("draft", "am", "nino")
    assert imported.seizure.occurred_at == OCCURRED and imported.seizure.occurred_at.tzinfo == UTC
    assert imported.seizure.commodities[0].quantity == Decimal("12.500")
    history = await other.history(refs.cases[0])
    assert history[0].reasons == [f"imported from seizures.{fmt}"]
    linked = await other.cases_of("suspect", refs.suspects[0])
    assert [(case.ref, role) for case, role in linked] == [(refs.cases[0], "driver")]


async def test_csv_is_utf8_with_a_bom_and_json_is_one_array(
    store: CaseStore, tmp_path: Path
) -> None:
    refs = await sample(store)
    await export(store, "seizures", "csv", tmp_path / "s.csv")
    raw = (tmp_path / "s.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfref,case_number,status,")
    rows = list(csv.DictReader((tmp_path / "s.csv").open(encoding="utf-8-sig", newline="")))
    first = next(row for row in rows if row["ref"] == refs.cases[0])
    assert first["suspects"] == f"{refs.suspects[0]}:driver;{refs.suspects[1]}"
    assert first["route_transit"] == "GE" and first["foreign"] == "false"
    assert json.loads(first["commodities"])[0]["quantity"] == "12.500"
    await export(store, "suspects", "json", tmp_path / "p.json")
    items = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert [item["ref"] for item in items] == refs.suspects
    assert (
        items[0]["aliases"] == ["Nina; B.", "ნ. ბ."] and items[0]["date_of_birth"] == "1985-03-14"
    )


async def test_xlsx_opens_in_openpyxl_with_typed_cells(store: CaseStore, tmp_path: Path) -> None:
    refs = await sample(store)
    await export(store, "seizures", "xlsx", tmp_path / "s.xlsx")
    await export(store, "suspects", "xlsx", tmp_path / "p.xlsx")
    await export(store, "companies", "xlsx", tmp_path / "c.xlsx")

    book = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["seizures", "about"]
    sheet = book["seizures"]
    header = [cell.value for cell in sheet[1]]
    assert sheet[1][0].font.bold
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert row["ref"].value == refs.cases[0]
    assert row["revision"].data_type == "n" and row["revision"].value == 1
    assert row["foreign"].data_type == "b" and row["foreign"].value is False
    assert row["occurred_at"].data_type == "d" and isinstance(row["occurred_at"].value, datetime)
    assert row["occurred_at"].value == OCCURRED.replace(tzinfo=None)  # UTC
    assert row["validated_at"].is_date and isinstance(row["validated_at"].value, datetime)
    assert row["narrative"].data_type == "s" and row["narrative"].value.startswith("ნარკოტიკი")
    assert row["handling_code"].value is None
    about = {key.value: value.value for key, value in book["about"].iter_rows()}
    assert about["dataset"] == "seizures" and about["rows"] == 2 and about["node"] == "ge"
    assert isinstance(about["exported_at"], datetime)
    assert about["reference countries"] == versions()["countries"]
    assert {f"reference {name}" for name in versions()} <= set(about)

    suspects = openpyxl.load_workbook(tmp_path / "p.xlsx")["suspects"]
    born = suspects.cell(row=2, column=5)
    assert suspects.cell(row=1, column=5).value == "date_of_birth"
    assert born.is_date and born.value == datetime(1985, 3, 14)
    notes = openpyxl.load_workbook(tmp_path / "c.xlsx")["companies"].cell(row=2, column=8)
    assert notes.data_type == "s" and notes.value.startswith("=HYPERLINK")  # text, not a formula


async def exported_refs(store: CaseStore, folder: Path, where: SeizureFilter) -> set[str]:
    path = folder / f"{new_ref()}.csv"
    written = await export(store, "seizures", "csv", path, where)
    assert written == await count(store, "seizures", where)
    with path.open(encoding="utf-8-sig", newline="") as file:
        return {row["ref"] for row in csv.DictReader(file)}


def partial_files(folder: Path) -> list[Path]:
    return list(folder.glob(".*partial"))


async def test_filters_restrict_the_export(store: CaseStore, tmp_path: Path) -> None:
    today = datetime.now(UTC)
    old_drugs = await store.create("nino", complete_seizure(occurred_at=today - timedelta(days=40)))
    tobacco = await store.create(
        "nino",
        complete_seizure(
            occurred_at=today - timedelta(days=3),
            place_kind="air",
            commodities=[
                Commodity(
                    category="tobacco", type="cigarettes", quantity=Decimal(200), unit="sticks"
                )
            ],
        ),
    )
    await store.submit("nino", tobacco.ref)
    await store.validate("giorgi", tobacco.ref)
    sea = await store.create(
        "nino", complete_seizure(occurred_at=today - timedelta(days=1), place_kind="sea")
    )
    async with store.unit() as tx:  # a partner's case, filed here from a share
        shared = complete_seizure(occurred_at=today - timedelta(days=2))
        await tx.seizures.add(
            SeizureRow(
                ref=new_ref(),
                status="validated",
                origin_node="am",
                foreign=True,
                handling_code="H1",
                created_by="am",
                **seizure_columns(shared),
            ),
            commodity_index(shared.commodities),
        )
    own = {old_drugs.ref, tobacco.ref, sea.ref}
    assert await exported_refs(store, tmp_path, SeizureFilter(foreign=False)) == own
    assert len(await exported_refs(store, tmp_path, SeizureFilter())) == 4
    mine = SeizureFilter(foreign=False)
    assert await exported_refs(store, tmp_path, replace(mine, category="drugs")) == {
        old_drugs.ref,
        sea.ref,
    }
    assert await exported_refs(store, tmp_path, replace(mine, place_kind="air")) == {tobacco.ref}
    assert await exported_refs(store, tmp_path, replace(mine, status="validated")) == {tobacco.ref}
    recent = replace(mine, since=(today - timedelta(days=5)).date(), until=today.date())
    assert await exported_refs(store, tmp_path, recent) == {tobacco.ref, sea.ref}
    both = replace(mine, since=(today - timedelta(days=5)).date(), category="drugs")
    assert await exported_refs(store, tmp_path, both) == {sea.ref}

    with pytest.raises(ExtractionError, match=r"'weed' is not in commodity_categories.*drugs"):
        await export(store, "seizures", "csv", tmp_path / "x.csv", SeizureFilter(category="weed"))
    with pytest.raises(ExtractionError, match="the datasets are: seizures, suspects, companies"):
        await export(store, "cases", "csv", tmp_path / "x.csv")
    with pytest.raises(ExtractionError, match="the formats are: csv, json, xlsx"):
        await export(store, "seizures", "pdf", tmp_path / "x.pdf")
    with pytest.raises(ExtractionError, match="suspects are filtered by foreign/own only"):
        await export(store, "suspects", "csv", tmp_path / "x.csv", SeizureFilter(status="draft"))
    await export(store, "seizures", "csv", tmp_path / "cases.csv")
    with pytest.raises(ExtractionError, match="already exists"):
        await export(store, "seizures", "csv", tmp_path / "cases.csv")
    assert partial_files(tmp_path) == []


async def test_an_import_with_problems_reports_every_row_and_imports_nothing(
    store: CaseStore, network: Network, tmp_path: Path
) -> None:
    good = await store.create("nino", complete_seizure())
    await export(store, "seizures", "csv", tmp_path / "good.csv")
    with (tmp_path / "good.csv").open(encoding="utf-8-sig", newline="") as file:
        [template] = list(csv.DictReader(file))
    other = await staffed(network, "am")
    unknown = "f" * 32
    rows = [
        {**template, "ref": ""},  # row 2: fine (a new ref)
        {**template, "ref": "", "occurred_at": "yesterday",
         "commodities": template["commodities"].replace('"kg"', '"kgs"')},  # row 3
        {**template, "ref": "", "suspects": f"{unknown}:driver", "route_transit": "GE;XX"},  # 4
        {**template, "ref": good.ref},  # row 5: fine at this node
        {**template, "ref": good.ref},  # row 6: the same ref again
        {**template, "ref": "", "commodities": "[{not json"},  # row 7
        {**template, "ref": "", "foreign": "true", "origin_node": "ua"},  # row 8
        {**template, "ref": "", "conveyance_type": "vessel", "case_number": ""},  # row 9
    ]  # fmt: skip
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(template))
        writer.writeheader()
        writer.writerows(rows)

    report = await import_csv(other, "seizures", path, "nino")
    assert not report.ok and report.imported == 0 and report.rows == 8
    problems = sorted((p.row, p.column, p.field) for p in report.problems)
    assert problems == [
        (3, "commodities", "commodities.0.unit"),
        (3, "occurred_at", "occurred_at"),
        (4, "route_transit", "route.transit.1"),
        (4, "suspects", "suspects.0.ref"),
        (6, "ref", "ref"),
        (7, "commodities", "commodities"),
        (8, "foreign", "foreign"),
        (9, "case_number", "case_number"),
        (9, "conveyance_type", "conveyance.type"),
    ]
    text = {str(p) for p in report.problems}
    assert f"row 6, ref: {good.ref} is also the ref of row 5" in text
    assert "row 7, commodities: not valid JSON" in "\n".join(text)
    assert "nothing was imported" in str(report)
    assert await other.list() == []

    again = await import_csv(store, "seizures", tmp_path / "good.csv", "nino")
    assert [str(p) for p in again.problems] == [
        f"row 2, ref: {good.ref} is already present at this node"
    ]
    with pytest.raises(ExtractionError, match="no dataset 'cen-feed' can be imported"):
        await import_csv(other, "cen-feed", path, "nino")
    with pytest.raises(ExtractionError, match=r"unknown column.*colour"):
        (tmp_path / "odd.csv").write_text("ref,colour\n,red\n", encoding="utf-8")
        await import_csv(other, "companies", tmp_path / "odd.csv", "nino")


async def test_suspects_and_companies_are_checked_on_import(
    store: CaseStore, tmp_path: Path
) -> None:
    path = tmp_path / "suspects.csv"
    path.write_text(
        "surname,date_of_birth,nationality,documents\n"
        "Beridze,1985-03-14,GE,\n"
        ",2999-01-01,ge,\n"
        'Petrov,1980-02-30,XX,"[{""type"":""visa"",""number"":""1""}]"\n',
        encoding="utf-8",
    )
    report = await import_csv(store, "suspects", path, "nino")
    assert sorted((p.row, p.field) for p in report.problems) == [
        (3, "date_of_birth"),
        (3, "nationality"),
        (3, "surname"),
        (4, "date_of_birth"),
        (4, "documents.0.type"),
        (4, "nationality"),
    ]
    path.write_text("surname\nBeridze\n", encoding="utf-8")
    with pytest.raises(NotAllowed, match="analyst: this needs"):
        await import_csv(store, "suspects", path, "tamar")
    report = await import_csv(store, "suspects", path, "nino")
    assert report.ok and report.imported == 1
    [found] = await store.search("suspect", name="beridze")
    assert found.record == Suspect(surname="Beridze") and found.origin_node == "ge"


async def test_a_large_export_streams_in_batches(store: CaseStore, tmp_path: Path) -> None:
    async with store.unit() as tx:
        for i in range(2500):
            seizure = complete_seizure(case_number=f"GE-{i:05}")
            row = SeizureRow(
                ref=new_ref(),
                status="draft",
                origin_node="ge",
                created_by="nino",
                **seizure_columns(seizure),
            )
            await tx.seizures.add(row, commodity_index(seizure.commodities))
    progress: list[tuple[int, int | None]] = []
    held: list[int] = []

    def follow(written: int, total: int | None) -> None:
        progress.append((written, total))
        if written == 2000:  # well into the second batch: the first is gone
            gc.collect()
            held.append(sum(isinstance(o, SeizureRow) for o in gc.get_objects()))

    written = await export(store, "seizures", "csv", tmp_path / "big.csv", on_progress=follow)
    assert written == 2500
    with (tmp_path / "big.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2500 and rows[-1]["case_number"] == "GE-02499"
    assert progress[0] == (0, 2500) and progress[-1] == (2500, 2500)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert len(progress) > 20  # reported as it went, not once at the end
    assert held and held[0] < 2 * STREAM_BATCH < 2500  # about one batch, never every row

    assert await export(store, "seizures", "json", tmp_path / "big.json") == 2500
    assert len(json.loads((tmp_path / "big.json").read_text(encoding="utf-8"))) == 2500


async def test_the_cen_feed_exports_by_seizure_date(store: CaseStore, tmp_path: Path) -> None:
    async with store.unit() as tx:
        for ref, day in (("a" * 32, date(2026, 1, 10)), ("b" * 32, date(2026, 2, 10))):
            record = {
                "seizure_ref": f"ge:{ref}",
                "revision": 1,
                "seizure_date": day.isoformat(),
                "office": "GE-SARPI",
                "place_kind": "land",
                "direction": "import",
                "commodities": [
                    {"category": "drugs", "type": "cocaine", "quantity": "12.5", "unit": "kg"}
                ],
                "transit_countries": ["GE", "AM"],
                "offenders": [{"nationality": "TR", "gender": "male", "age_band": "26-35"}],
            }
            await tx.feed.file([FeedEntry(f"ge:{ref}", "ge", 1, new_ref(), day, record)])
    path = tmp_path / "feed.json"
    assert await export(store, "cen-feed", "json", path, since=date(2026, 2, 1)) == 1
    [item] = json.loads(path.read_text(encoding="utf-8"))
    assert item["seizure_ref"] == "ge:" + "b" * 32 and item["seizure_date"] == "2026-02-10"
    assert item["transit_countries"] == ["GE", "AM"] and item["detection_method"] is None
    assert item["offenders"][0]["age_band"] == "26-35"
    await export(store, "cen-feed", "xlsx", tmp_path / "feed.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "feed.xlsx")["cen-feed"]
    assert [cell.value for cell in sheet[2]][:4] == [
        "ge:" + "a" * 32,
        "ge",
        1,
        datetime(2026, 1, 10),
    ]
    with pytest.raises(ExtractionError, match="cen-feed is filtered by date only"):
        await export(store, "cen-feed", "csv", tmp_path / "f.csv", SeizureFilter(status="draft"))


# -- the command line -----------------------------------------------------------------------

runner = CliRunner()
cli = typer.Typer()
cli.command("export")(export_command)
cli.command("import")(import_command)


def run(app: typer.Typer, node: str, data: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--data-dir", str(data)], env={"ICOMM_NODE": node})
    return result.exit_code, result.stdout, result.stderr


def seed(data: Path) -> Sample:
    async def enter() -> Sample:
        async with Node(Settings(node="ge", data_dir=data)) as node:
            return await sample(CaseStore(node))

    return asyncio.run(enter())


def records_at(data: Path, node_id: str, refs: Sample) -> dict[str, object]:
    async def read() -> dict[str, object]:
        async with Node(Settings(node=node_id, data_dir=data)) as node:
            return await documents(CaseStore(node), refs)

    return asyncio.run(read())


@pytest.mark.usefixtures("clean_env")
def test_export_and_import_through_the_command_line(tmp_path: Path) -> None:
    ge, am = tmp_path / "ge", tmp_path / "am"
    for node, data in (("ge", ge), ("am", am)):
        for user, role in (("nino", "officer"), ("giorgi", "admin")):
            code, _, err = run(icomm, node, data, "users", "add", user, "--role", role,
                               "--password", "correct horse battery staple")  # fmt: skip
            assert code == 0, err
    refs = seed(ge)
    files = tmp_path / "files"
    files.mkdir()
    for dataset in ("suspects", "companies", "seizures"):
        path = files / f"{dataset}.csv"
        code, out, err = run(cli, "ge", ge, "export", dataset, "--output", str(path))
        assert code == 0, err
        assert (
            f"exported {len(getattr(refs, 'cases' if dataset == 'seizures' else dataset))}" in out
        )
        code, out, err = run(cli, "am", am, "import", dataset, str(path), "--user", "nino")
        assert code == 0, err
        assert f"imported {2 if dataset != 'companies' else 1} {dataset}" in out
    assert records_at(am, "am", refs) == records_at(ge, "ge", refs)

    code, out, err = run(
        cli, "am", am, "import", "seizures", str(files / "seizures.csv"), "-u", "nino"
    )
    assert code == 1 and "nothing was imported" in err
    assert f"row 2  ref: {refs.cases[0]} is already present at this node" in err
    assert f"row 3  ref: {refs.cases[1]} is already present" in err

    code, _, err = run(cli, "ge", ge, "export", "seizures", "--output", str(files / "seizures.csv"))
    assert code == 1 and "already exists: use --force" in err
    code, out, err = run(cli, "ge", ge, "export", "seizures", "-o", str(files / "seizures.csv"),
                         "--status", "validated", "--force")  # fmt: skip
    assert code == 0 and "exported 1 seizures" in out, err
    code, out, err = run(cli, "ge", ge, "export", "seizures", "-o", str(files / "drugs.xlsx"),
                         "--commodity", "drugs", "--place", "land", "--since", "2000-01-01")  # fmt: skip
    assert code == 0 and "exported 1 seizures" in out, err
    assert openpyxl.load_workbook(files / "drugs.xlsx")["seizures"].max_row == 2
    code, _, err = run(cli, "ge", ge, "export", "cases", "-o", str(files / "x.csv"))
    assert code == 2 and "the datasets are: seizures, suspects, companies, cen-feed" in err
    code, _, err = run(cli, "ge", ge, "export", "seizures", "-o", str(files / "x.pdf"))
    assert code == 2 and "use one of .csv, .json, .xlsx" in err
    code, _, err = run(
        cli, "ge", ge, "export", "seizures", "-o", str(files / "x.csv"), "--since", "May"
    )
    assert code == 2 and "is not a date" in err
    code, _, err = run(
        cli, "ge", ge, "export", "seizures", "-o", str(files / "x.csv"), "--place", "moon"
    )
    assert code == 1 and "'moon' is not in place_kinds" in err


async def test_files_edited_elsewhere_import_and_unwritable_exports_say_why(
    store: CaseStore, network: Network, tmp_path: Path
) -> None:
    refs = await sample(store)
    await export(store, "suspects", "json", tmp_path / "suspects.json")
    items = json.loads((tmp_path / "suspects.json").read_text(encoding="utf-8"))
    pretty = tmp_path / "pretty.json"  # re-indented by another tool: read whole
    pretty.write_text(json.dumps(items, indent=2, ensure_ascii=False), encoding="utf-8")
    other = await staffed(network, "am")
    report = await import_file(other, "suspects", pretty, "nino")
    assert report.ok and report.imported == 2
    nino = refs.suspects[0]
    assert (await other.party("suspect", nino)).record == (
        await store.party("suspect", nino)
    ).record

    with pytest.raises(ExtractionError, match="cannot write"):
        await export(store, "suspects", "csv", tmp_path / "no" / "such" / "folder.csv")
    huge = [
        Commodity(
            category="drugs", type="cocaine", quantity=Decimal(1), unit="kg", description=text
        )
        for text in ("x" * 20_000, "y" * 20_000)
    ]
    await store.create("nino", complete_seizure(commodities=huge))
    with pytest.raises(ExtractionError, match="more than an Excel cell holds"):
        await export(store, "seizures", "xlsx", tmp_path / "huge.xlsx")
    assert partial_files(tmp_path) == []
    assert await export(store, "seizures", "csv", tmp_path / "huge.csv") == 3
