"""``icomm cases``: seizure and offence cases from the command line.

For officers and administrators working without the web app: a case is written as a JSON
document (``icomm cases template`` prints a complete one), filed as a draft, submitted,
then validated or returned by an admin. Every command runs against this node's case store
(:class:`adapters.casestore.CaseStore`); users are local user names at this node.

The helpers shared with ``icomm suspects`` and ``icomm companies`` are in
:mod:`hub.cli.recordio`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from adapters.casestore import (
    DRAFT,
    RETURNED,
    SUBMITTED,
    VALIDATED,
    CaseStore,
    CaseView,
    PartyKind,
)
from adapters.errors import CaseError
from adapters.quality import check_seizure
from adapters.reference import reference
from hub.cli.options import ConfigFile, DataDir, console, err_console, fail, settings_from
from hub.cli.recordio import (
    AsJson,
    RecordFile,
    User,
    coded,
    facts,
    number,
    origin,
    party_name,
    print_json,
    read_record,
    report_problems,
    run,
    text,
    when,
)
from message_schemas import (
    Commodity,
    Conveyance,
    Route,
    Seizure,
    record_document,
)
from storage.cases import SeizureFilter
from storage.cases.tables import TransitionRow

cases_app = typer.Typer(
    help="Seizure and offence cases: entry, the validation workflow, listing.",
    no_args_is_help=True,
)

CaseRef = Annotated[str, typer.Argument(help="The case's reference (see `icomm cases list`).")]
DATE_FORMATS = ["%Y-%m-%d"]


class Status(StrEnum):
    draft = DRAFT
    submitted = SUBMITTED
    validated = VALIDATED
    returned = RETURNED


# -- entry and the validation workflow --------------------------------------------------


def _pending(seizure: Seizure) -> None:
    """Say what a saved draft still lacks before it can be submitted (links were checked)."""
    problems = check_seizure(
        seizure,
        known_suspects={link.ref for link in seizure.suspects},
        known_companies={link.ref for link in seizure.companies},
    )
    if problems:
        report_problems(
            f"before it can be submitted, the case needs {len(problems)} correction(s)",
            problems,
            warning=True,
        )


@cases_app.command("new")
def new(user: User, file: RecordFile, data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """File a new case as a draft from a JSON document; prints its reference.

    A draft may be incomplete: what it still lacks is listed, and blocks only `submit`.
    """
    settings = settings_from(data_dir, config)
    seizure = read_record(file, Seizure)
    case = run(settings, lambda store: store.create(user, seizure), refused="; nothing was filed")
    console.print(case.ref)
    err_console.print(f"filed as a draft by {escape(user)}")
    _pending(case.seizure)


@cases_app.command("edit")
def edit(
    ref: CaseRef, user: User, file: RecordFile, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Replace a draft or returned case's record with a JSON document (`show --json` gives it)."""
    settings = settings_from(data_dir, config)
    seizure = read_record(file, Seizure)
    case = run(
        settings, lambda store: store.update(user, ref, seizure), refused="; the case is unchanged"
    )
    console.print(f"case {case.ref} updated ({case.status})")
    _pending(case.seizure)


@cases_app.command("submit")
def submit(ref: CaseRef, user: User, data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Send a case for validation; refused, with every problem listed, if it fails a check."""
    settings = settings_from(data_dir, config)
    refused = f"; it was not submitted (correct it with: icomm cases edit {ref} --file …)"
    case = run(settings, lambda store: store.submit(user, ref), refused=refused)
    console.print(f"case {case.ref} submitted for validation")


@cases_app.command("validate")
def validate(ref: CaseRef, user: User, data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Validate a submitted case (admins): it becomes a new revision."""
    settings = settings_from(data_dir, config)
    case = run(settings, lambda store: store.validate(user, ref))
    console.print(f"case {case.ref} validated: revision {case.revision}")


@cases_app.command("return")
def return_case(
    ref: CaseRef,
    user: User,
    reason: Annotated[
        list[str], typer.Option("--reason", "-r", help="What to correct (repeat for several).")
    ],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Return a submitted case to its officer with the reasons (admins)."""
    settings = settings_from(data_dir, config)
    case = run(settings, lambda store: store.return_case(user, ref, reason))
    console.print(f"case {case.ref} returned to {case.created_by}")


@cases_app.command("reopen")
def reopen(
    ref: CaseRef,
    user: User,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it needs correcting.")],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Reopen a validated case for correction (admins); its next validation supersedes it."""
    settings = settings_from(data_dir, config)
    case = run(settings, lambda store: store.reopen(user, ref, reason))
    console.print(
        f"case {case.ref} reopened as a draft (revision {case.revision} stands until then)"
    )


# -- reading -------------------------------------------------------------------------------


@cases_app.command("show")
def show(
    ref: CaseRef, as_json: AsJson = False, data_dir: DataDir = None, config: ConfigFile = None
) -> None:
    """Show a case: its record, where it stands, and its history."""
    settings = settings_from(data_dir, config)

    async def gather(store: CaseStore) -> tuple[CaseView, list[TransitionRow], dict[str, str]]:
        case = await store.get(ref)
        names: dict[str, str] = {}
        for link in case.seizure.suspects:
            names[link.ref] = await _party_name(store, "suspect", link.ref)
        for link in case.seizure.companies:
            names[link.ref] = await _party_name(store, "company", link.ref)
        return case, await store.history(ref), names

    case, steps, names = run(settings, gather)
    if as_json:
        print_json(record_document(case.seizure))
    else:
        console.print(case_panel(case, steps, names))


async def _party_name(store: CaseStore, kind: PartyKind, ref: str) -> str:
    try:
        return party_name((await store.party(kind, ref)).record)
    except CaseError:
        return "(not at this node)"


def case_panel(case: CaseView, steps: Sequence[TransitionRow], names: dict[str, str]) -> Panel:
    seizure = case.seizure
    conveyance = seizure.conveyance or Conveyance()
    route = seizure.route
    places = [route.departure or "?", *route.transit, route.destination or "?"]
    evaluation = f"{seizure.source_evaluation or '?'}{seizure.information_evaluation or '?'}"
    parts: list[RenderableType] = [
        facts(
            [
                ("case number", text(seizure.case_number)),
                ("status", Text(f"{case.status}  (revision {case.revision})", style="bold")),
                ("origin", text(origin(case.foreign, case.origin_node, case.handling_code))),
                ("entered by", text(case.created_by)),
                ("occurred", text(when(seizure.occurred_at) if seizure.occurred_at else None)),
                ("office", text(seizure.office)),
                ("place", coded("place_kinds", seizure.place_kind)),
                ("direction", coded("directions", seizure.direction)),
                ("detection", coded("detection_methods", seizure.detection_method)),
                ("concealment", coded("concealment_methods", seizure.concealment_method)),
                (
                    "conveyance",
                    text(
                        " ".join(
                            filter(None, (conveyance.mode, conveyance.type, conveyance.identifier))
                        )
                    ),
                ),
                ("route", text(" → ".join(places) if route != Route() else None)),
                ("evaluation", text(evaluation if evaluation != "??" else None)),
                ("updated", text(when(case.updated_at))),
                ("validated", text(when(case.validated_at) if case.validated_at else None)),
            ]
        )
    ]
    parts.append(commodities_table(seizure.commodities))
    for title, body in (
        ("concealment", seizure.concealment_description),
        ("narrative", seizure.narrative),
    ):
        if body:
            parts.append(Panel(Text(body), title=title, title_align="left"))
    if seizure.suspects or seizure.companies:
        links = Table("kind", "ref", "name", "role", title="links")
        for kind, group in (("suspect", seizure.suspects), ("company", seizure.companies)):
            for link in group:
                links.add_row(kind, link.ref, text(names.get(link.ref)), text(link.role))
        parts.append(links)
    if seizure.photos:
        photos = Table("file", "type", "sha256", title="photos")
        for photo in seizure.photos:
            photos.add_row(text(photo.filename), photo.media_type, photo.sha256)
        parts.append(photos)
    parts.append(history_table(steps))
    return Panel(Group(*parts), title=f"case {case.ref}", title_align="left")


def commodities_table(commodities: Sequence[Commodity]) -> Table:
    table = Table("#", "category", "type", "quantity", "value", "description", title="commodities")
    for i, c in enumerate(commodities, 1):
        value = f"{number(c.value)} {c.currency or ''}".strip()
        quantity = f"{number(c.quantity)} {c.unit or ''}".strip()
        row = (c.category, c.type, quantity, value, c.description)
        table.add_row(str(i), *map(text, row))
    if not commodities:
        table.add_row("", text(None), "", "", "", "")
    return table


def history_table(steps: Sequence[TransitionRow]) -> Table:
    table = Table("when", "step", "who", "reasons", title="history")
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    for step in steps:
        table.add_row(
            when(step.at),
            f"{step.from_status or '(new)'} → {step.to_status}",
            text(step.actor),
            Text("\n".join(f"• {reason}" for reason in step.reasons)),
        )
    return table


def _code_option(value: str | None, list_name: str, what: str) -> str | None:
    if value is not None and value not in reference(list_name):
        codes = ", ".join(entry.code for entry in reference(list_name))
        raise fail(f"{value!r} is not a {what} (one of: {codes})")
    return value


@cases_app.command("list")
def list_cases(
    status: Annotated[Status | None, typer.Option("--status", help="Only in this state.")] = None,
    commodity: Annotated[
        str | None, typer.Option("--commodity", help="Only with a commodity of this category.")
    ] = None,
    place: Annotated[
        str | None, typer.Option("--place", help="Only at this kind of place.")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option("--since", formats=DATE_FORMATS, help="From this date.")
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option("--until", formats=DATE_FORMATS, help="Up to this date (included)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """List the cases at this node, newest first (partners' shared cases show their origin)."""
    where = SeizureFilter(
        since=since.date() if since else None,
        until=until.date() if until else None,
        category=_code_option(commodity, "commodity_categories", "commodity category"),
        place_kind=_code_option(place, "place_kinds", "kind of place"),
        status=status.value if status else None,
    )
    if where.since and where.until and where.since > where.until:
        raise fail(f"--since {where.since} is after --until {where.until}")
    settings = settings_from(data_dir, config)
    cases = run(settings, lambda store: store.list(where, limit=limit))
    shared = any(case.foreign for case in cases)  # partners' cases: a column for their origin
    headers = ["ref", "case number", "date", "place", "commodities", "status", "rev"]
    table = Table(*headers, *(["origin"] if shared else []), box=box.MINIMAL_HEAVY_HEAD)
    for column in table.columns:  # on a narrow terminal the long ones wrap, never cut short
        column.no_wrap = column.header in ("ref", "date", "status", "rev")
        column.overflow = "fold"
    for case in cases:
        seizure = case.seizure
        table.add_row(
            case.ref,
            text(seizure.case_number),
            f"{seizure.occurred_at:%Y-%m-%d}" if seizure.occurred_at else "—",
            text(" ".join(filter(None, (seizure.office, seizure.place_kind))) or None),
            text(summary(seizure.commodities) or None),
            case.status,
            str(case.revision),
            *([origin(case.foreign, case.origin_node)] if shared else []),
        )
    console.print(table)
    if not cases:
        err_console.print("no case matches")
    elif len(cases) == limit:
        err_console.print(f"the newest {limit} shown: raise --limit to see more")


def summary(commodities: Sequence[Commodity]) -> str:
    """``cocaine 12.5 kg; cigarettes 2000 sticks``."""
    return "; ".join(
        " ".join(filter(None, (c.type or c.category, number(c.quantity), c.unit)))
        for c in commodities
    )


# -- a document to start from -------------------------------------------------------------


def template_seizure(now: datetime | None = None) -> Seizure:
    """A complete example case (it passes every check), dated yesterday."""
    yesterday = (now or datetime.now(UTC)) - timedelta(days=1)
    return Seizure(
        case_number="GE-2026-0001",
        occurred_at=yesterday.replace(hour=10, minute=30, second=0, microsecond=0),
        office="GE-SARPI",
        place_kind="land",
        direction="import",
        commodities=[
            Commodity(
                category="drugs",
                type="cocaine",
                description="white powder in the spare tyre",
                quantity=Decimal("12.5"),
                unit="kg",
                value=Decimal("450000"),
                currency="EUR",
            )
        ],
        detection_method="x_ray",
        concealment_method="vehicle_hidden_compartment",
        concealment_description="two packages welded into the spare tyre",
        conveyance=Conveyance(mode="road", type="truck", identifier="GE-123-AB"),
        route=Route(departure="TR", transit=["GE"], destination="AM"),
        source_evaluation="B",
        information_evaluation="2",
        narrative="The driver declared auto parts; the x-ray showed dense packages.",
    )


@cases_app.command("template")
def template() -> None:
    """Print a complete example case as JSON, to fill in and file with `new --file`.

    Codes come from the reference lists (`icomm reference show place_kinds` …). Link
    suspects and companies with {"ref": "<the ref that `icomm suspects add` printed>",
    "role": "<code>"} in "suspects" and "companies".
    """
    print_json(template_seizure().model_dump(mode="json"))
