"""The seizure form: its fields and rows, and what a typed form still lacks.

The checks are the case store's (:func:`adapters.quality.check_seizure`); this module only
says how the form is laid out and turns what was typed into a :class:`Seizure`.
"""

from __future__ import annotations

from adapters.errors import Problem
from adapters.quality import check_seizure
from hub.web.record_forms import FieldSpec, FormSpec, Kind, RecordForm, RowSpec
from hub.web.rendering import N_
from message_schemas import Photo, Seizure

SEIZURE_FORM = FormSpec(
    fields=(
        FieldSpec("case_number", N_("Case number"), hint=N_("Your administration's own number.")),
        FieldSpec("occurred_at", N_("Date and time (UTC)"), Kind.MOMENT),
        FieldSpec(
            "office", N_("Customs office code"), hint=N_("For example GE-SARPI."), max_length=32
        ),
        FieldSpec("place_kind", N_("Kind of place"), choices="place_kinds"),
        FieldSpec("direction", N_("Direction"), choices="directions"),
        FieldSpec("detection_method", N_("Detection method"), choices="detection_methods"),
        FieldSpec("concealment_method", N_("Concealment method"), choices="concealment_methods"),
        FieldSpec(
            "concealment_description",
            N_("How the goods were concealed"),
            Kind.FREE,
            max_length=20_000,
        ),
        FieldSpec("conveyance.mode", N_("Conveyance mode"), choices="conveyance_modes"),
        FieldSpec(
            "conveyance.type",
            N_("Conveyance type"),
            choices="conveyance_types",
            group=("mode", "conveyance_modes"),
        ),
        FieldSpec(
            "conveyance.identifier",
            N_("Conveyance identifier"),
            hint=N_("Flight or vessel, plate, container number."),
        ),
        FieldSpec("route.departure", N_("Departure country"), choices="countries"),
        FieldSpec(
            "route.transit",
            N_("Transit countries"),
            Kind.MULTI,
            choices="countries",
            hint=N_("Hold Ctrl (⌘ on a Mac) to choose several."),
        ),
        FieldSpec("route.destination", N_("Destination country"), choices="countries"),
        FieldSpec("source_evaluation", N_("Source evaluation"), choices="source_evaluations"),
        FieldSpec(
            "information_evaluation",
            N_("Information evaluation"),
            choices="information_evaluations",
        ),
        FieldSpec("narrative", N_("Narrative"), Kind.FREE, max_length=20_000),
    ),
    rows=(
        RowSpec(
            "commodities",
            N_("Commodities"),
            N_("Commodity"),
            (
                FieldSpec("category", N_("Category"), choices="commodity_categories"),
                FieldSpec(
                    "type",
                    N_("Type"),
                    choices="commodity_types",
                    group=("category", "commodity_categories"),
                ),
                FieldSpec("description", N_("Description"), Kind.FREE, max_length=20_000),
                FieldSpec("quantity", N_("Quantity"), Kind.NUMBER),
                FieldSpec("unit", N_("Unit"), choices="units"),
                FieldSpec("value", N_("Value"), Kind.NUMBER),
                FieldSpec("currency", N_("Currency"), choices="currencies"),
            ),
            N_("Add a commodity row"),
        ),
        RowSpec(
            "suspects",
            N_("Suspects"),
            N_("Suspect"),
            (
                FieldSpec("ref", N_("Suspect reference"), max_length=32),
                FieldSpec("role", N_("Role"), choices="suspect_roles"),
            ),
            N_("Add a suspect row"),
        ),
        RowSpec(
            "companies",
            N_("Companies"),
            N_("Company"),
            (
                FieldSpec("ref", N_("Company reference"), max_length=32),
                FieldSpec("role", N_("Role"), choices="company_roles"),
            ),
            N_("Add a company row"),
        ),
    ),
    optional=("conveyance",),
)
"""The fields of a seizure that a person types; its photos are uploaded on their own."""


def seizure_form(seizure: Seizure | None = None) -> RecordForm:
    return (
        RecordForm.blank(SEIZURE_FORM) if seizure is None else RecordForm.of(SEIZURE_FORM, seizure)
    )


def typed_seizure(form: RecordForm, photos: list[Photo]) -> Seizure:
    """The seizure the form holds (what pydantic refuses is left out, as a problem), with
    the photos the case already has."""
    seizure = form.validated(Seizure)
    return seizure.model_copy(update={"photos": photos})


def still_lacking(seizure: Seizure) -> list[Problem]:
    """What blocks submitting a draft, its links taken as they are (the store checked them
    when it saved the draft)."""
    return check_seizure(
        seizure,
        known_suspects={link.ref for link in seizure.suspects},
        known_companies={link.ref for link in seizure.companies},
    )
