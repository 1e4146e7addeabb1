"""The reference lists: their data, the lookup API and ``icomm reference``."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any, get_args

import pytest
from typer.testing import CliRunner

from adapters.reference import (
    LIST_NAMES,
    Entry,
    ReferenceList,
    UnknownCode,
    UnknownList,
    all_lists,
    reference,
    versions,
)
from hub.cli.reference import app
from message_schemas import vocabulary

runner = CliRunner()


def _entry(name: str, code: str) -> Entry:
    entry = reference(name).get(code)
    assert entry is not None, f"{code!r} missing from {name}"
    return entry


def test_the_names_are_sorted_and_each_has_exactly_one_data_file() -> None:
    assert list(LIST_NAMES) == sorted(LIST_NAMES)
    data = files("adapters.reference") / "data"
    shipped = sorted(p.name for p in data.iterdir() if p.name.endswith(".json"))
    assert shipped == [f"{name}.json" for name in LIST_NAMES]


@pytest.mark.parametrize("name", LIST_NAMES)
def test_every_list_loads_with_unique_codes_and_labels(name: str) -> None:
    ref = reference(name)
    assert isinstance(ref, ReferenceList)
    assert ref.name == name and ref.version and ref.source
    assert len(ref) > 0
    codes = [entry.code for entry in ref]
    assert len(codes) == len(set(codes)) == len(ref.codes)
    for entry in ref:
        assert isinstance(entry, Entry)
        assert entry.code.strip() == entry.code != ""
        assert entry.label.strip() == entry.label != ""
        assert "code" not in entry.data and "label" not in entry.data


def test_lists_are_loaded_once_and_gathered_by_name() -> None:
    assert reference("units") is reference("units")
    lists = all_lists()
    assert list(lists) == list(LIST_NAMES)
    assert versions() == {name: ref.version for name, ref in lists.items()}


def test_countries_are_iso_3166_alpha_2() -> None:
    countries = reference("countries")
    assert len(countries) >= 240
    for code in ("GE", "AM", "UA", "RU", "TR", "DE", "AZ", "US"):
        assert code in countries
    assert all(len(code) == 2 and code.isupper() for code in countries.codes)
    assert countries.label("GE") == "Georgia"
    assert countries.get("ge") is None and "ge" not in countries
    assert countries.version.startswith("iso3166-1:")


def test_currencies_are_iso_4217() -> None:
    currencies = reference("currencies")
    for code in ("GEL", "EUR", "USD", "AMD", "TRY", "RUB"):
        assert code in currencies
    assert currencies.label("EUR") == "Euro"
    assert all(len(code) == 3 and code.isupper() for code in currencies.codes)
    assert currencies.version.startswith("iso4217:")


@pytest.mark.parametrize(
    ("name", "literal"),
    [
        ("place_kinds", vocabulary.PlaceKind),
        ("commodity_categories", vocabulary.CommodityCategory),
        ("conveyance_modes", vocabulary.ConveyanceMode),
        ("genders", vocabulary.Gender),
        ("directions", vocabulary.Direction),
        ("source_evaluations", vocabulary.SourceEvaluation),
        ("information_evaluations", vocabulary.InformationEvaluation),
    ],
)
def test_lists_mirroring_the_vocabulary_have_exactly_its_codes(name: str, literal: Any) -> None:
    assert reference(name).codes == frozenset(get_args(literal))


def test_every_commodity_type_has_a_known_category() -> None:
    categories = reference("commodity_categories")
    types = reference("commodity_types")
    for entry in types:
        assert entry.data["category"] in categories, entry
    assert {entry.data["category"] for entry in types} == categories.codes
    assert types.get("cocaine") == Entry("cocaine", types.label("cocaine"), {"category": "drugs"})
    assert _entry("commodity_types", "cigarettes").data["category"] == "tobacco"


def test_every_conveyance_type_has_a_known_mode() -> None:
    modes = reference("conveyance_modes")
    for entry in reference("conveyance_types"):
        assert entry.data["mode"] in modes, entry
    assert _entry("conveyance_types", "truck").data["mode"] == "road"


def test_every_unit_has_a_dimension_an_integer_flag_and_a_ceiling() -> None:
    units = reference("units")
    for code in ("kg", "g", "t", "l", "ml", "m", "m2", "m3", "pieces", "items", "sticks"):
        assert code in units
    for code in ("packs", "cartons", "tablets", "doses", "heads"):
        assert code in units
    for entry in units:
        assert entry.data["dimension"] in {"mass", "volume", "count", "length", "area", "money"}
        assert isinstance(entry.data["integer"], bool)
        ceiling = entry.data["max_quantity"]
        assert isinstance(ceiling, int | float) and not isinstance(ceiling, bool) and ceiling > 0
    assert _entry("units", "kg").data == {
        "dimension": "mass",
        "integer": False,
        "max_quantity": 500000,
    }
    assert _entry("units", "sticks").data["integer"] is True
    assert _entry("units", "sticks").data["max_quantity"] == 1_000_000_000


def test_entries_are_read_only() -> None:
    entry = reference("units").get("kg")
    assert entry is not None
    with pytest.raises(TypeError):
        entry.data["max_quantity"] = 1  # type: ignore[index]
    assert hash(entry) == hash(Entry("kg", entry.label, {}))


def test_an_unknown_list_names_the_lists() -> None:
    with pytest.raises(UnknownList, match=r"no reference list named 'planets' \(lists: .*units"):
        reference("planets")
    assert issubclass(UnknownList, ValueError)


def test_an_unknown_code_names_the_list() -> None:
    with pytest.raises(UnknownCode, match="'XX' is not a code of reference list 'countries'"):
        reference("countries").label("XX")
    with pytest.raises(ValueError, match=r"'kilo' .* 'units'"):
        reference("units").label("kilo")
    assert reference("units").get("kilo") is None
    assert 5 not in reference("units")


def test_a_list_refuses_repeated_codes() -> None:
    with pytest.raises(ValueError, match="repeats code 'a'"):
        ReferenceList("x", "1", "test", (Entry("a", "A", {}), Entry("a", "B", {})))


def test_cli_list_shows_every_list_with_its_version_and_size() -> None:
    result = runner.invoke(app, ["list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for name, ref in all_lists().items():
        assert name in result.output
        assert ref.version in result.output
    assert str(len(reference("countries"))) in result.output


def test_cli_show_units_has_the_extra_columns() -> None:
    result = runner.invoke(app, ["show", "units"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for heading in ("code", "label", "dimension", "integer", "max_quantity"):
        assert heading in result.output
    assert "Kilograms" in result.output and "500,000" in result.output


def test_cli_show_an_unknown_list_fails_naming_it() -> None:
    result = runner.invoke(app, ["show", "planets"], env={"COLUMNS": "250"})
    assert result.exit_code == 1
    assert "no reference list named 'planets'" in result.output


def test_cli_export_writes_every_list_and_an_index(tmp_path: Path) -> None:
    target = tmp_path / "out" / "reference"
    result = runner.invoke(app, ["export", str(target)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [f"{name}.json" for name in LIST_NAMES] + ["index.json"]
    )
    for name, ref in all_lists().items():
        exported = json.loads((target / f"{name}.json").read_text(encoding="utf-8"))
        assert exported == ref.as_dict()
        shipped = files("adapters.reference") / "data" / f"{name}.json"
        assert exported == json.loads(shipped.read_text(encoding="utf-8"))
    index = json.loads((target / "index.json").read_text(encoding="utf-8"))
    assert index["versions"] == versions()
    assert [item["list"] for item in index["lists"]] == list(LIST_NAMES)
    assert all((target / item["file"]).is_file() for item in index["lists"])
