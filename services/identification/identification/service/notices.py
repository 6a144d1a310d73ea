"""Public notices (公示): closing those that ran out, the public board, objections from the public."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.procedure import NOTICE_STAGES, Action, Stage
from identification.domain.procedure_steps import apply, settle
from identification.models.case import IdentificationCase
from identification.repository import cases as repo
from identification.service.case_record import Act
from identification.service.case_state import state_of
from identification.service.case_transitions import commit_outcome, durations_of, public_objection
from jzkit.errors import NotFound

# How many due notices one scheduler pass closes (the rest wait for the next pass).
CLOSE_BATCH = 200
PUBLIC = "public"
PUBLIC_REASON = "objection filed by the public during the notice (群众异议)"


async def close_ended_notices(session: AsyncSession, now: datetime) -> int:
    """Close every running notice whose end is at or before ``now``; returns how many were closed."""
    closed = 0
    for case in await repo.due_notices(session, now, CLOSE_BATCH):
        state = state_of(case)
        outcome = settle(state, now)
        if outcome.effects:
            await commit_outcome(session, case, state.stage, outcome, None, now)
            closed += 1
    return closed


class NoticeItem(BaseModel):
    """One household under notice, as the public sees it: no name, no ID number."""

    notice_id: str
    village: str
    kind: str
    notice: str
    state: str
    started_at: datetime | None
    ends_at: datetime | None
    household: str
    members_count: int


class NoticePage(BaseModel):
    """One page of the public board."""

    items: list[NoticeItem]
    next_cursor: str | None


class ObjectionReceipt(BaseModel):
    """What the objector gets back."""

    objection_id: str
    notice_id: str
    filed_at: datetime
    status: str


def short_household(household_id: str) -> str:
    """The household id's short form shown publicly: its last 8 characters (the random part of a UUIDv7)."""
    return household_id.replace("-", "")[-8:]


def notice_item(case: IdentificationCase) -> NoticeItem:
    """The board entry of a case under notice."""
    return NoticeItem(
        notice_id=case.id,
        village=case.division_code,
        kind=case.kind,
        notice=case.notice or "",
        state=case.notice_state or "",
        started_at=case.notice_started_at,
        ends_at=case.notice_ends_at,
        household=short_household(case.household_id),
        members_count=case.members_count,
    )


async def file_public_objection(
    session: AsyncSession, notice_id: str, text: str, contact: str | None, now: datetime
) -> ObjectionReceipt:
    """Anyone may object while a notice runs (or is already stopped by another objection)."""
    case = await repo.get_case(session, notice_id, lock=True)
    if case is None or Stage(case.stage) not in NOTICE_STAGES:
        raise NotFound("notice", notice_id, "公示")
    state = state_of(case)
    outcome = apply(state, Action.OBJECT, None, now, await durations_of(session, case))
    objection = public_objection(case, state, text, contact, now)
    session.add(objection)
    act = Act(PUBLIC, None, Action.OBJECT.value, PUBLIC_REASON, [], {"objection_id": objection.id})
    await commit_outcome(session, case, state.stage, outcome, act, now)
    return ObjectionReceipt(
        objection_id=objection.id, notice_id=case.id, filed_at=now, status=objection.status
    )
