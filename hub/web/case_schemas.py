"""The case API's request and response bodies (pydantic), as the OpenAPI document shows them.

A case's record is the case store's own :class:`message_schemas.Seizure`, and what goes to
the CEN is the ``cen.seizure`` message itself (:class:`message_schemas.CenSeizure`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from adapters.casestore import CaseView
from hub.web.casework import Action
from message_schemas import CenSeizure, Seizure
from storage.cases import TransitionRow

Status = Literal["draft", "submitted", "validated", "returned"]


class CaseSummary(BaseModel):
    ref: str = Field(description="The case's reference at this node: 32 hex digits.")
    case_number: str | None
    occurred_at: datetime | None
    office: str | None
    place_kind: str | None
    status: Status
    revision: int = Field(description="How many times it was validated (0: never).")
    foreign: bool = Field(description="A partner's case, shared with this node: read-only.")
    origin_node: str
    created_by: str
    updated_at: datetime

    @classmethod
    def of(cls, case: CaseView) -> CaseSummary:
        seizure = case.seizure
        return cls(
            ref=case.ref,
            case_number=seizure.case_number,
            occurred_at=seizure.occurred_at,
            office=seizure.office,
            place_kind=seizure.place_kind,
            status=case.status,  # type: ignore[arg-type]
            revision=case.revision,
            foreign=case.foreign,
            origin_node=case.origin_node,
            created_by=case.created_by,
            updated_at=case.updated_at,
        )


class Step(BaseModel):
    """One step of the case's validation."""

    from_status: Status | None = Field(description="None: the case was entered.")
    to_status: Status
    actor: str
    at: datetime
    reasons: list[str]

    @classmethod
    def of(cls, row: TransitionRow) -> Step:
        return cls(
            from_status=row.from_status,  # type: ignore[arg-type]
            to_status=row.to_status,  # type: ignore[arg-type]
            actor=row.actor,
            at=row.at,
            reasons=list(row.reasons),
        )


class CaseDetail(CaseSummary):
    handling_code: str | None = Field(description="A shared case's handling code.")
    validated_at: datetime | None
    seizure: Seizure
    history: list[Step]
    actions: list[Action] = Field(description="What the signed-in user may do to it now.")


class ReturnReasons(BaseModel):
    reasons: list[str] = Field(min_length=1, description="What the officer must correct.")


class ReopenReason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class FieldProblem(BaseModel):
    field: str = Field(description="The field's dotted path in the record, e.g. commodities.0.unit")
    message: str


class QualityProblems(BaseModel):
    """A case that fails the quality checks: every problem at once (422)."""

    detail: list[FieldProblem]


class CenPending(BaseModel):
    case_ref: str = Field(description="Stays at this node (the CEN knows the case as seizure_ref).")
    case_number: str | None = Field(description="Stays at this node.")
    revision: int
    message: CenSeizure = Field(description="Exactly what goes to cen@wco.")


class CenPreview(BaseModel):
    pending: list[CenPending]
    never_leaves: list[str] = Field(
        description="Every nominal field, as record.field: never sent to the WCO."
    )


class CenSent(BaseModel):
    sent: int
    cases: list[str] = Field(description="The references of the cases sent.")
