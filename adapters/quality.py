"""Data-quality checks: what a record must satisfy before it can be submitted for validation.

Each check returns every problem it finds (never only the first): required fields, codes
from the reference lists (``adapters.reference``), quantities plausible for their unit,
dates not in the future. The same checks serve entry (CLI, web forms) and ``icomm import``.
A problem says what is wrong as an English template and its values (:class:`Problem`), so
that the web pages can say it in the reader's language.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import ValidationError

from adapters.errors import N_, Problem
from adapters.reference import Coded, reference
from message_schemas import Commodity, Company, Seizure, Suspect

FUTURE_TOLERANCE = timedelta(minutes=10)  # clocks of entry devices drift
EARLIEST_BIRTH = date(1900, 1, 1)

SEIZURE_REQUIRED = (
    "case_number",
    "occurred_at",
    "office",
    "place_kind",
    "direction",
    "detection_method",
    "source_evaluation",
    "information_evaluation",
)


def problems_of(error: ValidationError) -> list[Problem]:
    """pydantic's errors as problems (a record that does not even parse)."""
    return [
        Problem(".".join(str(part) for part in item["loc"]) or "record", item["msg"])
        for item in error.errors(include_url=False)
    ]


def _code(field: str, value: str | None, list_name: str) -> Iterable[Problem]:
    if value is not None and value not in reference(list_name):
        yield Problem(
            field,
            N_("%(value)s is not in the reference list %(list)s"),
            {"value": repr(value), "list": list_name},
        )


def check_seizure(
    seizure: Seizure,
    *,
    now: datetime | None = None,
    known_suspects: Collection[str] = (),
    known_companies: Collection[str] = (),
) -> list[Problem]:
    """Every problem that blocks submitting ``seizure`` (an empty list: it may be submitted)."""
    now = now or datetime.now(UTC)
    found = [
        Problem(name, N_("required"))
        for name in SEIZURE_REQUIRED
        if getattr(seizure, name) in (None, "")
    ]
    if not seizure.commodities:
        found.append(Problem("commodities", N_("at least one commodity is required")))
    if seizure.occurred_at is not None and seizure.occurred_at > now + FUTURE_TOLERANCE:
        found.append(
            Problem(
                "occurred_at",
                N_("%(when)s is in the future"),
                {"when": f"{seizure.occurred_at:%Y-%m-%d %H:%M}"},
            )
        )
    found += _code("place_kind", seizure.place_kind, "place_kinds")
    found += _code("direction", seizure.direction, "directions")
    found += _code("detection_method", seizure.detection_method, "detection_methods")
    found += _code("concealment_method", seizure.concealment_method, "concealment_methods")
    for i, commodity in enumerate(seizure.commodities):
        found += check_commodity(commodity, f"commodities.{i}")
    if seizure.conveyance is not None:
        conveyance = seizure.conveyance
        found += _code("conveyance.mode", conveyance.mode, "conveyance_modes")
        found += _code("conveyance.type", conveyance.type, "conveyance_types")
        kind = reference("conveyance_types").get(conveyance.type or "")
        if kind is not None and conveyance.mode and kind.data.get("mode") != conveyance.mode:
            found.append(
                Problem(
                    "conveyance.type",
                    N_("%(type)s is not a %(mode)s conveyance"),
                    {"type": repr(conveyance.type), "mode": conveyance.mode},
                )
            )
    route = seizure.route
    for name, country in (
        ("route.departure", route.departure),
        ("route.destination", route.destination),
    ):
        found += _code(name, country, "countries")
    for i, country in enumerate(route.transit):
        found += _code(f"route.transit.{i}", country, "countries")
    for group, known, roles in (
        ("suspects", known_suspects, "suspect_roles"),
        ("companies", known_companies, "company_roles"),
    ):
        for i, link in enumerate(getattr(seizure, group)):
            if link.ref not in known:
                found.append(
                    Problem(
                        f"{group}.{i}.ref", N_("no such record %(ref)s"), {"ref": repr(link.ref)}
                    )
                )
            found += _code(f"{group}.{i}.role", link.role, roles)
    return found


def check_commodity(commodity: Commodity, at: str) -> list[Problem]:
    found = [
        Problem(f"{at}.{name}", N_("required"))
        for name in ("category", "type", "quantity", "unit")
        if getattr(commodity, name) is None
    ]
    found += _code(f"{at}.category", commodity.category, "commodity_categories")
    found += _code(f"{at}.type", commodity.type, "commodity_types")
    kind = reference("commodity_types").get(commodity.type or "")
    if kind is not None and commodity.category and kind.data.get("category") != commodity.category:
        found.append(
            Problem(
                f"{at}.type",
                N_("%(type)s is not of the category %(category)s"),
                {"type": repr(commodity.type), "category": repr(commodity.category)},
            )
        )
    found += _code(f"{at}.unit", commodity.unit, "units")
    found += _code(f"{at}.currency", commodity.currency, "currencies")
    if commodity.value is not None and commodity.value < 0:
        found.append(Problem(f"{at}.value", N_("cannot be negative")))
    found += _plausible_quantity(commodity, at)
    return found


def _plausible_quantity(commodity: Commodity, at: str) -> list[Problem]:
    quantity = commodity.quantity
    if quantity is None:
        return []
    if quantity <= 0:
        return [Problem(f"{at}.quantity", N_("must be more than zero"))]
    unit = reference("units").get(commodity.unit or "")
    if unit is None:
        return []
    found = []
    if unit.data.get("integer") and quantity != quantity.to_integral_value():
        found.append(
            Problem(
                f"{at}.quantity",
                N_("%(quantity)s is not a whole number of %(unit)s"),
                {"quantity": quantity, "unit": Coded("units", unit.code)},
            )
        )
    ceiling = Decimal(str(unit.data["max_quantity"]))
    if quantity > ceiling:
        found.append(
            Problem(
                f"{at}.quantity",
                N_("%(quantity)s %(unit)s is implausible for one seizure (more than %(ceiling)s)"),
                {"quantity": quantity, "unit": unit.code, "ceiling": ceiling},
            )
        )
    return found


def check_suspect(suspect: Suspect, *, today: date | None = None) -> list[Problem]:
    today = today or datetime.now(UTC).date()
    found = []
    if not suspect.surname and not suspect.given_names and not suspect.aliases:
        found.append(
            Problem("surname", N_("a name (surname, given names or an alias) is required"))
        )
    born = suspect.date_of_birth
    if born is not None and born > today:
        found.append(Problem("date_of_birth", N_("%(when)s is in the future"), {"when": born}))
    elif born is not None and born < EARLIEST_BIRTH:
        found.append(Problem("date_of_birth", N_("%(when)s is implausibly early"), {"when": born}))
    found += _code("gender", suspect.gender, "genders")
    found += _code("nationality", suspect.nationality, "countries")
    for i, document in enumerate(suspect.documents):
        found += _code(f"documents.{i}.type", document.type, "document_types")
        found += _code(f"documents.{i}.issuing_country", document.issuing_country, "countries")
    return found


def check_company(company: Company) -> list[Problem]:
    found = [Problem("name", N_("required"))] if not company.name else []
    found += _code("country", company.country, "countries")
    found += _code("role", company.role, "company_roles")
    return found
