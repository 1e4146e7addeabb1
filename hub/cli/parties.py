"""``icomm suspects`` and ``icomm companies``: the parties that cases link to.

A suspect or a company is written as a JSON document (``template`` prints one), checked as
a whole when added or edited, and found again by name (any script or spelling: ``beridze``
finds ბერიძე) or by a document or registration number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

import typer
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from adapters.casestore import CaseStore, CaseView, PartyKind, PartyView
from hub.cli.options import ConfigFile, DataDir, console, err_console, fail, settings_from
from hub.cli.recordio import (
    AsJson,
    RecordFile,
    User,
    coded,
    facts,
    origin,
    party_name,
    print_json,
    read_record,
    run,
    text,
)
from hub.config import Settings
from message_schemas import Company, IdentityDocument, Suspect, record_document

suspects_app = typer.Typer(
    help="Suspects: persons of interest that cases link to.", no_args_is_help=True
)
companies_app = typer.Typer(help="Companies of interest that cases link to.", no_args_is_help=True)

PartyRef = Annotated[str, typer.Argument(help="The record's reference (see `search`).")]
Name = Annotated[
    str | None,
    typer.Option("--name", help="Name words, any script or spelling (prefixes match)."),
]


def _add(user: str, record: Suspect | Company, settings: Settings) -> None:
    party = run(
        settings, lambda store: store.add_party(user, record), refused="; nothing was added"
    )
    console.print(party.ref)
    err_console.print(f"{party.kind} added: link it to a case with its ref in the case's JSON")


def _edit(user: str, ref: str, record: Suspect | Company, settings: Settings) -> None:
    party = run(
        settings, lambda store: store.update_party(user, ref, record), refused="; it is unchanged"
    )
    console.print(f"{party.kind} {party.ref} updated")


def _show(kind: PartyKind, ref: str, as_json: bool, settings: Settings) -> None:

    async def gather(store: CaseStore) -> tuple[PartyView, list[tuple[CaseView, str | None]]]:
        return await store.party(kind, ref), await store.cases_of(kind, ref)

    party, cases = run(settings, gather)
    if as_json:
        print_json(record_document(party.record))
        return
    record = party.record
    parts: list[RenderableType] = [
        facts(suspect_facts(record) if isinstance(record, Suspect) else company_facts(record))
    ]
    if isinstance(record, Suspect) and record.documents:
        parts.append(documents_table(record.documents))
    if record.notes:
        parts.append(Panel(text(record.notes), title="notes", title_align="left"))
    linked = Table("case", "case number", "date", "role", "status", "origin", title="cases")
    for case, role in cases:
        occurred = case.seizure.occurred_at
        linked.add_row(
            case.ref,
            text(case.seizure.case_number),
            f"{occurred:%Y-%m-%d}" if occurred else "—",
            text(role),
            case.status,
            origin(case.foreign, case.origin_node),
        )
    if not cases:
        linked.add_row(text("not linked to any case"), "", "", "", "", "")
    parts.append(linked)
    title = f"{party.kind} {party.ref}" + (
        f" — {origin(True, party.origin_node, party.handling_code)}" if party.foreign else ""
    )
    console.print(Panel(Group(*parts), title=title, title_align="left"))


def suspect_facts(suspect: Suspect) -> list[tuple[str, RenderableType]]:
    return [
        ("surname", text(suspect.surname)),
        ("given names", text(suspect.given_names)),
        ("aliases", text(", ".join(suspect.aliases))),
        ("born", text(suspect.date_of_birth)),
        ("gender", coded("genders", suspect.gender)),
        ("nationality", text(suspect.nationality)),
        ("addresses", text("\n".join(suspect.addresses))),
    ]


def company_facts(company: Company) -> list[tuple[str, RenderableType]]:
    return [
        ("name", text(company.name)),
        ("registration", text(company.registration_number)),
        ("country", text(company.country)),
        ("address", text(company.address)),
        ("activity", text(company.activity)),
        ("usual role", coded("company_roles", company.role)),
    ]


def documents_table(documents: Sequence[IdentityDocument]) -> Table:
    table = Table("type", "number", "issued by", title="documents")
    for document in documents:
        table.add_row(text(document.type), text(document.number), text(document.issuing_country))
    return table


def _search(kind: PartyKind, name: str | None, number: str | None, settings: Settings) -> None:
    if not (name or "").strip() and not (number or "").strip():
        number_option = "--document" if kind == "suspect" else "--registration"
        raise fail(f"search by --name, by {number_option}, or both")
    found = run(settings, lambda store: store.search(kind, name=name, identifier=number))
    if kind == "suspect":
        table = Table("ref", "name", "born", "nationality", "documents", "origin")
    else:
        table = Table("ref", "name", "registration", "country", "address", "origin")
    table.columns[0].no_wrap = True
    for party in found:
        record = party.record
        if isinstance(record, Suspect):
            details = [
                text(record.date_of_birth),
                text(record.nationality),
                text(", ".join(document.number for document in record.documents)),
            ]
        else:
            details = [text(record.registration_number), text(record.country), text(record.address)]
        table.add_row(
            party.ref, text(party_name(record)), *details, origin(party.foreign, party.origin_node)
        )
    console.print(table)
    if not found:
        err_console.print(f"no {kind} matches")


def template_suspect() -> Suspect:
    """A complete example suspect (it passes every check)."""
    return Suspect(
        surname="Beridze",
        given_names="Giorgi",
        aliases=["ბერიძე გიორგი"],
        date_of_birth=date(1984, 3, 17),
        gender="male",
        nationality="GE",
        documents=[IdentityDocument(type="passport", number="13AB45678", issuing_country="GE")],
        addresses=["12 Rustaveli Avenue, Batumi"],
        notes="driver of the truck",
    )


def template_company() -> Company:
    """A complete example company (it passes every check)."""
    return Company(
        name="Black Sea Logistics LLC",
        registration_number="405123456",
        country="GE",
        address="3 Gogebashvili Street, Batumi",
        activity="road freight forwarding",
        role="carrier",
        notes="",
    )


# -- icomm suspects --------------------------------------------------------------------


@suspects_app.command("add")
def add_suspect(
    user: User, file: RecordFile, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Add a suspect from a JSON document (see `template`); prints its reference."""
    _add(user, read_record(file, Suspect), settings_from(data_dir, config))


@suspects_app.command("edit")
def edit_suspect(
    ref: PartyRef, user: User, file: RecordFile, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Replace a suspect's record with a JSON document (`show --json` gives the current one)."""
    _edit(user, ref, read_record(file, Suspect), settings_from(data_dir, config))


@suspects_app.command("show")
def show_suspect(
    ref: PartyRef, as_json: AsJson = False, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Show a suspect and the cases linked to them, with their role in each."""
    _show("suspect", ref, as_json, settings_from(data_dir, config))


@suspects_app.command("search")
def search_suspects(
    name: Name = None,
    document: Annotated[
        str | None, typer.Option("--document", help="An identity document's number.")
    ] = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Find suspects by name and/or identity document number."""
    _search("suspect", name, document, settings_from(data_dir, config))


@suspects_app.command("template")
def suspect_template() -> None:
    """Print a complete example suspect as JSON, to fill in and add with `add --file`."""
    print_json(template_suspect().model_dump(mode="json"))


# -- icomm companies -------------------------------------------------------------------


@companies_app.command("add")
def add_company(
    user: User, file: RecordFile, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Add a company from a JSON document (see `template`); prints its reference."""
    _add(user, read_record(file, Company), settings_from(data_dir, config))


@companies_app.command("edit")
def edit_company(
    ref: PartyRef, user: User, file: RecordFile, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Replace a company's record with a JSON document (`show --json` gives the current one)."""
    _edit(user, ref, read_record(file, Company), settings_from(data_dir, config))


@companies_app.command("show")
def show_company(
    ref: PartyRef, as_json: AsJson = False, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Show a company and the cases linked to it, with its role in each."""
    _show("company", ref, as_json, settings_from(data_dir, config))


@companies_app.command("search")
def search_companies(
    name: Name = None,
    registration: Annotated[
        str | None, typer.Option("--registration", help="A registration number.")
    ] = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Find companies by name and/or registration number."""
    _search("company", name, registration, settings_from(data_dir, config))


@companies_app.command("template")
def company_template() -> None:
    """Print a complete example company as JSON, to fill in and add with `add --file`."""
    print_json(template_company().model_dump(mode="json"))
