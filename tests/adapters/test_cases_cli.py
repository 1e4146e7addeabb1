"""``icomm cases``, ``icomm suspects`` and ``icomm companies``, run as an officer or admin would."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from casework import complete_seizure
from typer.testing import CliRunner

from adapters.casestore import CaseStore, commodity_index, seizure_columns
from adapters.quality import check_company, check_seizure, check_suspect
from hub.accounts import Role
from hub.cli.cases import cases_app
from hub.cli.parties import companies_app, suspects_app
from hub.config import Settings
from hub.node import Node
from message_schemas import Company, Seizure, Suspect, record_document
from storage.cases import SeizureRow

pytestmark = pytest.mark.usefixtures("clean_env")
runner = CliRunner()
PASSWORD = "correct horse battery staple"
REF = re.compile(r"^[0-9a-f]{32}$", re.MULTILINE)

app = typer.Typer()
app.add_typer(cases_app, name="cases")
app.add_typer(suspects_app, name="suspects")
app.add_typer(companies_app, name="companies")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A node's data directory with an officer (nino), an admin (giorgi), an analyst (tamar)."""
    data_dir = tmp_path / "ge"

    async def staff() -> None:
        async with Node(Settings(node="ge", data_dir=data_dir)) as node:
            for username, role in (
                ("nino", Role.OFFICER),
                ("giorgi", Role.ADMIN),
                ("tamar", Role.ANALYST),
            ):
                await node.accounts.add(username, role, PASSWORD)

    asyncio.run(staff())
    return data_dir


def icomm(data_dir: Path | None, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    where = ["--data-dir", str(data_dir)] if data_dir is not None else []
    result = runner.invoke(app, [*args, *where], env={"ICOMM_NODE": "ge"}, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, document: Any) -> str:
    if not isinstance(document, str):
        document = json.dumps(document, ensure_ascii=False)
    path.write_text(document, encoding="utf-8")
    return str(path)


def problem_lines(err: str) -> list[str]:
    """The ``field: message`` lines of a listed refusal."""
    return [line.strip()[2:] for line in err.splitlines() if line.strip().startswith("• ")]


def table_rows(out: str) -> dict[str, list[str]]:
    """The rows of a Rich table, by their first cell when it is a reference."""
    rows = {}
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if REF.match(cells[0]):
            rows[cells[0]] = cells
    return rows


def test_a_case_from_entry_through_corrections_to_validation(data: Path, tmp_path: Path) -> None:
    incomplete = record_document(
        complete_seizure(case_number=None, place_kind="airport", source_evaluation=None)
    )
    code, out, err = icomm(
        data, "cases", "new", "--user", "nino", "--file", write(tmp_path / "c.json", incomplete)
    )
    assert code == 0, err
    [ref] = REF.findall(out)
    assert "case_number: required" in problem_lines(err)  # said at once, blocks only submit

    code, out, err = icomm(data, "cases", "submit", ref, "--user", "nino")
    assert code == 1 and "not submitted" in err
    assert sorted(problem_lines(err)) == [
        "case_number: required",
        "place_kind: 'airport' is not in the reference list place_kinds",
        "source_evaluation: required",
    ]

    fixed = record_document(complete_seizure())
    code, out, err = icomm(
        data, "cases", "edit", ref, "--user", "nino", "--file", write(tmp_path / "c.json", fixed)
    )
    assert code == 0 and "updated (draft)" in out and problem_lines(err) == []
    code, out, err = icomm(data, "cases", "submit", ref, "--user", "nino")
    assert code == 0 and "submitted for validation" in out, err

    code, _, err = icomm(data, "cases", "validate", ref, "--user", "nino")
    assert code == 1 and "nino is officer: this needs admin" in err
    code, out, err = icomm(data, "cases", "return", ref, "--user", "giorgi",
                           "--reason", "photo of the tyre missing", "--reason", "value in GEL")  # fmt: skip
    assert code == 0 and "returned to nino" in out, err
    icomm(data, "cases", "submit", ref, "--user", "nino")
    code, out, err = icomm(data, "cases", "validate", ref, "--user", "giorgi")
    assert code == 0 and "validated: revision 1" in out, err

    code, out, err = icomm(data, "cases", "show", ref)
    assert code == 0, err
    for shown in (
        "GE-2026-0001", "validated  (revision 1)", "GE-SARPI", "land (", "cocaine", "12.5 kg",
        "450000 EUR", "TR → GE → AM", "(new) → draft", "submitted → returned",
        "• photo of the tyre missing", "• value in GEL", "returned → submitted",
        "submitted → validated", "giorgi",
    ):  # fmt: skip
        assert shown in out
    code, out, _ = icomm(data, "cases", "show", ref, "--json")
    assert code == 0 and Seizure.model_validate_json(out).route == complete_seizure().route
    assert json.loads(out)["commodities"] == fixed["commodities"]

    code, _, err = icomm(data, "cases", "reopen", ref, "--user", "nino", "--reason", "typo")
    assert code == 1 and "this needs admin" in err
    code, out, _ = icomm(data, "cases", "reopen", ref, "--user", "giorgi", "--reason", "typo")
    assert code == 0 and "reopened as a draft" in out


def test_list_filters_by_status_commodity_place_and_date(data: Path, tmp_path: Path) -> None:
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    cases = {
        "cocaine": complete_seizure(case_number="GE-1", occurred_at=ten_days_ago),
        "tobacco": complete_seizure(
            case_number="GE-2",
            place_kind="sea",
            commodities=[
                {"category": "tobacco", "type": "cigarettes", "quantity": 2000, "unit": "sticks"}
            ],
        ),
    }
    refs = {}
    for name, seizure in cases.items():
        path = write(tmp_path / f"{name}.json", record_document(seizure))
        [refs[name]] = REF.findall(icomm(data, "cases", "new", "--user", "nino", "--file", path)[1])
    icomm(data, "cases", "submit", refs["tobacco"], "--user", "nino")
    foreign = file_foreign_case(data)

    code, out, err = icomm(data, "cases", "list")
    assert code == 0, err
    rows = table_rows(out)
    assert set(rows) == {refs["cocaine"], refs["tobacco"], foreign}
    assert rows[refs["cocaine"]][1:] == [  # no origin: this node's own
        "GE-1", f"{ten_days_ago:%Y-%m-%d}", "GE-SARPI land", "cocaine 12.5 kg", "draft", "0",
    ]  # fmt: skip
    assert rows[refs["tobacco"]][4:6] == ["cigarettes 2000 sticks", "submitted"]
    assert rows[foreign][5:] == ["validated", "1", "from ua"]

    def listed(*options: str) -> set[str]:
        code, out, err = icomm(data, "cases", "list", *options)
        assert code == 0, err
        return set(table_rows(out))

    assert listed("--status", "submitted") == {refs["tobacco"]}
    assert listed("--commodity", "tobacco") == {refs["tobacco"]}
    assert listed("--place", "sea") == {refs["tobacco"]}
    week_ago = f"{datetime.now(UTC) - timedelta(days=7):%Y-%m-%d}"
    assert listed("--until", week_ago) == {refs["cocaine"]}
    assert listed("--since", week_ago, "--commodity", "drugs") == {foreign}
    assert len(listed("--limit", "1")) == 1

    code, _, err = icomm(data, "cases", "list", "--place", "airport")
    assert code == 1 and "'airport' is not a kind of place" in err and "land" in err
    code, _, err = icomm(data, "cases", "list", "--since", "2026-02-01", "--until", "2026-01-01")
    assert code == 1 and "is after --until" in err


def file_foreign_case(data_dir: Path) -> str:
    """A validated case shared by the partner node ua, filed here as sharing would."""

    async def file() -> str:
        async with Node(Settings(node="ge", data_dir=data_dir)) as node:
            async with CaseStore(node).unit() as tx:
                seizure = complete_seizure()
                row = SeizureRow(
                    ref="a" * 32, status="validated", revision=1, foreign=True, origin_node="ua",
                    handling_code="H2", created_by="olena", **seizure_columns(seizure),
                )  # fmt: skip
                await tx.seizures.add(row, commodity_index(seizure.commodities))
                return row.ref

    return asyncio.run(file())


def test_record_files_that_do_not_parse_are_refused_field_by_field(
    data: Path, tmp_path: Path
) -> None:
    bad = record_document(complete_seizure())
    bad["occurred_at"] = "yesterday"
    bad["commodities"][0]["value"] = "a lot"
    bad["colour"] = "red"
    code, out, err = icomm(
        data, "cases", "new", "--user", "nino", "--file", write(tmp_path / "bad.json", bad)
    )
    assert code == 1 and out == ""
    fields = sorted(line.split(":")[0] for line in problem_lines(err))
    assert fields == ["colour", "commodities.0.value", "occurred_at"]
    code, _, err = icomm(
        data, "cases", "new", "--user", "nino", "--file", write(tmp_path / "x.json", "{not json")
    )
    assert code == 1 and "is not a valid seizure record" in err and "record: Invalid JSON" in err
    code, _, err = icomm(data, "cases", "new", "--user", "nino", "--file", str(tmp_path / "none"))
    assert code == 1 and "cannot read" in err and "No such file" in err
    code, _, err = icomm(data, "cases", "new", "--user", "tamar", "--file", "-", stdin="{}")
    assert code == 1 and "tamar is analyst: this needs admin or officer" in err
    code, _, err = icomm(data, "cases", "show", "0" * 32)
    assert code == 1 and "no case" in err


def test_suspects_found_by_name_in_any_script_and_shown_with_their_cases(
    data: Path, tmp_path: Path
) -> None:
    suspect = {
        "surname": "ბერიძე",
        "given_names": "გიორგი",
        "date_of_birth": "1984-03-17",
        "nationality": "GE",
        "documents": [{"type": "passport", "number": "13AB45678", "issuing_country": "GE"}],
    }
    code, out, err = icomm(
        data, "suspects", "add", "--user", "nino", "--file", write(tmp_path / "s.json", suspect)
    )
    assert code == 0, err
    [ref] = REF.findall(out)

    code, out, err = icomm(data, "suspects", "search", "--name", "beridze")
    assert code == 0, err
    assert table_rows(out)[ref][1:4] == ["გიორგი ბერიძე", "1984-03-17", "GE"]
    assert ref in table_rows(icomm(data, "suspects", "search", "--document", "13 ab 45678")[1])
    code, out, err = icomm(data, "suspects", "search", "--name", "shevardnadze")
    assert code == 0 and table_rows(out) == {} and "no suspect matches" in err
    code, _, err = icomm(data, "suspects", "search")
    assert code == 1 and "--name, by --document" in err

    linked = record_document(complete_seizure(suspects=[{"ref": ref, "role": "driver"}]))
    path = write(tmp_path / "c.json", linked)
    [case] = REF.findall(icomm(data, "cases", "new", "--user", "nino", "--file", path)[1])
    code, out, err = icomm(data, "suspects", "show", ref)
    assert code == 0, err
    assert "ბერიძე" in out and "13AB45678" in out
    assert [table_rows(out)[case][i] for i in (1, 3, 4)] == ["GE-2026-0001", "driver", "draft"]
    assert "გიორგი ბერიძე" in icomm(data, "cases", "show", case)[1]

    renamed = {**suspect, "aliases": ["Gia"], "gender": "mail"}
    code, _, err = icomm(data, "suspects", "edit", ref, "--user", "nino",
                         "--file", write(tmp_path / "s.json", renamed))  # fmt: skip
    assert code == 1 and problem_lines(err) == [
        "gender: 'mail' is not in the reference list genders"
    ]
    renamed["gender"] = "male"
    code, out, err = icomm(data, "suspects", "edit", ref, "--user", "nino",
                           "--file", write(tmp_path / "s.json", renamed))  # fmt: skip
    assert code == 0 and "updated" in out, err
    assert ref in table_rows(icomm(data, "suspects", "search", "--name", "gia")[1])
    assert Suspect.model_validate_json(
        icomm(data, "suspects", "show", ref, "--json")[1]
    ).aliases == ["Gia"]


def test_companies_are_found_by_registration_number(data: Path, tmp_path: Path) -> None:
    company = {"name": "Black Sea Logistics LLC", "registration_number": "405-123-456",
               "country": "GE", "role": "carrier"}  # fmt: skip
    code, out, err = icomm(
        data, "companies", "add", "--user", "nino", "--file", write(tmp_path / "co.json", company)
    )
    assert code == 0, err
    [ref] = REF.findall(out)
    code, out, err = icomm(data, "companies", "search", "--registration", "405123456")
    assert code == 0, err
    assert table_rows(out)[ref][1:4] == ["Black Sea Logistics LLC", "405-123-456", "GE"]
    assert ref in table_rows(icomm(data, "companies", "search", "--name", "black sea")[1])
    code, out, _ = icomm(data, "companies", "show", ref)
    assert code == 0 and "carrier (" in out and "not linked to any case" in out

    code, _, err = icomm(data, "companies", "add", "--user", "nino",
                         "--file", write(tmp_path / "co.json", {"country": "Georgia"}))  # fmt: skip
    assert code == 1 and problem_lines(err)[0].startswith("country: ")


def test_templates_parse_and_pass_every_check(data: Path, tmp_path: Path) -> None:
    code, out, err = icomm(None, "cases", "template")
    assert code == 0, err
    seizure = Seizure.model_validate_json(out)
    assert seizure.commodities and seizure.occurred_at is not None
    assert check_seizure(seizure) == []
    code, out, err = icomm(None, "suspects", "template")
    assert code == 0 and check_suspect(Suspect.model_validate_json(out)) == []
    code, out, err = icomm(None, "companies", "template")
    assert code == 0 and check_company(Company.model_validate_json(out)) == []

    # an officer files the template as it is, and it goes straight through
    template = icomm(None, "cases", "template")[1]
    code, out, err = icomm(data, "cases", "new", "--user", "nino", "--file", "-", stdin=template)
    assert code == 0 and problem_lines(err) == []
    [ref] = REF.findall(out)
    assert icomm(data, "cases", "submit", ref, "--user", "nino")[0] == 0
