"""The suspect and company forms: their fields, and the words for each kind of party.

The checks are the case store's (:func:`adapters.quality.check_suspect`,
:func:`adapters.quality.check_company`, run when a party is added or edited).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.casestore import PartyKind
from adapters.errors import Problem
from adapters.quality import check_company, check_suspect
from hub.web.record_forms import FieldSpec, FormSpec, Kind, RowSpec
from hub.web.rendering import N_
from message_schemas import Company, Suspect

SUSPECT_FORM = FormSpec(
    fields=(
        FieldSpec("surname", N_("Surname")),
        FieldSpec("given_names", N_("Given names")),
        FieldSpec(
            "aliases",
            N_("Aliases and other spellings"),
            Kind.LINES,
            hint=N_("One per line, in any script."),
        ),
        FieldSpec("date_of_birth", N_("Date of birth"), Kind.DATE),
        FieldSpec("gender", N_("Gender"), choices="genders"),
        FieldSpec("nationality", N_("Nationality"), choices="countries"),
        FieldSpec("addresses", N_("Addresses"), Kind.LINES, hint=N_("One per line.")),
        FieldSpec("notes", N_("Notes"), Kind.FREE, max_length=20_000),
    ),
    rows=(
        RowSpec(
            "documents",
            N_("Identity documents"),
            N_("Identity document"),
            (
                FieldSpec("type", N_("Document type"), choices="document_types"),
                FieldSpec("number", N_("Document number")),
                FieldSpec("issuing_country", N_("Issuing country"), choices="countries"),
            ),
            N_("Add a document row"),
        ),
    ),
)

COMPANY_FORM = FormSpec(
    fields=(
        FieldSpec("name", N_("Name")),
        FieldSpec("registration_number", N_("Registration number")),
        FieldSpec("country", N_("Country"), choices="countries"),
        FieldSpec("address", N_("Address")),
        FieldSpec("activity", N_("Activity")),
        FieldSpec("role", N_("Usual role"), choices="company_roles"),
        FieldSpec("notes", N_("Notes"), Kind.FREE, max_length=20_000),
    ),
)


@dataclass(frozen=True)
class PartyKindInfo:
    """One kind of party as the pages name it."""

    kind: PartyKind
    path: str  # "/suspects"
    model: type[Suspect] | type[Company]
    form: FormSpec
    check: Callable[[Any], list[Problem]]  # the store's quality check of the record
    title: str  # "Suspects"
    one: str  # "Suspect"
    new: str  # "New suspect"
    number_label: str  # what its identifier is called
    added: str
    saved: str


PARTY_KINDS = {
    "suspect": PartyKindInfo(
        kind="suspect",
        path="/suspects",
        model=Suspect,
        form=SUSPECT_FORM,
        check=check_suspect,
        title=N_("Suspects"),
        one=N_("Suspect"),
        new=N_("New suspect"),
        number_label=N_("Identity document number"),
        added=N_("The suspect is added. Link them to a case with the reference below."),
        saved=N_("The suspect's record is saved."),
    ),
    "company": PartyKindInfo(
        kind="company",
        path="/companies",
        model=Company,
        form=COMPANY_FORM,
        check=check_company,
        title=N_("Companies"),
        one=N_("Company"),
        new=N_("New company"),
        number_label=N_("Registration number"),
        added=N_("The company is added. Link it to a case with the reference below."),
        saved=N_("The company's record is saved."),
    ),
}
