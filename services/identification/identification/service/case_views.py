"""What a case looks like to callers: summary for lists, the full view with history and objections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from identification.domain.procedure_steps import awaiting
from identification.models.case import CaseStep, IdentificationCase, Objection
from identification.service.case_state import state_of


class Awaits(BaseModel):
    """Who must act next, and how."""

    role: str
    action: str


class CaseSummary(BaseModel):
    """A case without its snapshot and history (list items)."""

    id: str
    household_id: str
    division_code: str
    kind: str
    removal: bool
    origin: str | None
    risk: str | None
    stage: str
    policy_id: str
    policy_version: int
    reason: str
    evidence: list[str]
    members_count: int
    notice: str | None
    notice_started_at: datetime | None
    notice_ends_at: datetime | None
    notice_state: str | None
    paused_at: datetime | None
    open_objections: int
    deadline_at: datetime | None
    overdue: bool
    awaits: Awaits | None
    review_id: str | None
    opened_at: datetime
    opened_by: str
    updated_at: datetime
    closed_at: datetime | None
    version: int


class StepView(BaseModel):
    """One history entry (进出有据): who, when, what, why, on which evidence."""

    seq: int
    at: datetime
    actor: str
    role: str | None
    action: str
    from_stage: str | None
    to_stage: str
    reason: str
    evidence: list[str]
    details: dict[str, Any]


class ObjectionView(BaseModel):
    """An objection as officials see it (the objector's contact is never shown)."""

    id: str
    notice: str
    text: str
    filed_by: str
    filed_at: datetime
    status: str
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None


class CaseView(CaseSummary):
    """A case with the facts and assessment it was decided on, its history and objections."""

    facts: dict[str, Any]
    assessment: dict[str, Any]
    history: list[StepView]
    objections: list[ObjectionView]


class CasePage(BaseModel):
    """One page of cases."""

    items: list[CaseSummary]
    next_cursor: str | None


def is_overdue(case: IdentificationCase, now: datetime) -> bool:
    """True while an open case is past its procedure deadline (monitoring cases have one)."""
    return case.open_household_id is not None and case.deadline_at is not None and now > case.deadline_at


def _summary_fields(case: IdentificationCase, now: datetime) -> dict[str, Any]:
    next_step = awaiting(state_of(case), now)
    fields = {name: getattr(case, name) for name in CaseSummary.model_fields if hasattr(case, name)}
    fields["overdue"] = is_overdue(case, now)
    fields["awaits"] = Awaits(role=next_step[0].value, action=next_step[1].value) if next_step else None
    return fields


def case_summary(case: IdentificationCase, now: datetime) -> CaseSummary:
    """The list view of ``case`` at ``now`` (overdue and who acts next depend on the clock)."""
    return CaseSummary(**_summary_fields(case, now))


def case_view(
    case: IdentificationCase, steps: list[CaseStep], objections: list[Objection], now: datetime
) -> CaseView:
    """The full view of ``case``."""
    return CaseView(
        **_summary_fields(case, now),
        facts=case.facts,
        assessment=case.assessment,
        history=[StepView.model_validate(s, from_attributes=True) for s in steps],
        objections=[ObjectionView.model_validate(o, from_attributes=True) for o in objections],
    )
