"""Use case: move a case one step (approve, reject, object, resolve) checked by role, jurisdiction, clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.procedure import Action, CaseState, Finding, NoticeDurations, Outcome, Stage
from identification.domain.procedure_steps import apply
from identification.models.case import IdentificationCase, Objection
from identification.repository import cases as repo
from identification.service.case_record import Act, record_outcome
from identification.service.case_state import state_of, store_state
from identification.service.case_views import CaseView
from identification.service.cases import load_view, visible_case
from identification.service.policies import load_policy
from jzkit.auth import Principal
from jzkit.errors import Conflict, NotFound, PreconditionFailed
from jzkit.ids import new_id


async def durations_of(session: AsyncSession, case: IdentificationCase) -> NoticeDurations:
    """Notice lengths of the policy version the case was opened under (policies are immutable)."""
    notices = (await load_policy(session, case.policy_id)).policy.notices
    return NoticeDurations(first=notices.first, second=notices.second, county=notices.county)


async def transition(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: str,
    action: Action,
    reason: str,
    now: datetime,
    evidence: list[str] | None = None,
    finding: Finding | None = None,
    from_stage: Stage | None = None,
    objection_id: str | None = None,
    if_version: int | None = None,
) -> CaseView:
    """Apply ``action`` to the case; any refusal raises before anything is written."""
    case = await visible_case(session, principal, case_id, lock=True)
    if if_version is not None and if_version != case.version:
        raise PreconditionFailed(
            "stale-version",
            "the case changed since you read it",
            "案件已被修改，请刷新后重试",
            field="If-Match",
        )
    state = state_of(case)
    outcome = apply(
        state,
        action,
        principal.role,
        now,
        await durations_of(session, case),
        finding=finding,
        expected_stage=from_stage,
    )
    details: dict[str, object] = {}
    if action is Action.OBJECT:
        objection = _objection(case, state, reason, None, principal.subject, now)
        session.add(objection)
        details["objection_id"] = objection.id
    elif action is Action.RESOLVE:
        assert finding is not None  # apply() refuses resolve without one
        details["objection_id"] = await _resolve(session, case, objection_id, finding, principal, reason, now)
    act = Act(principal.subject, principal.role.value, action.value, reason, list(evidence or []), details)
    await commit_outcome(session, case, state.stage, outcome, act, now)
    return await load_view(session, case, now)


async def commit_outcome(
    session: AsyncSession,
    case: IdentificationCase,
    before: Stage,
    outcome: Outcome,
    act: Act | None,
    now: datetime,
) -> None:
    """Store the new state, then its history, events and decision state (one transaction, the caller's)."""
    store_state(case, outcome.state, now)
    await session.flush()
    await record_outcome(session, case, before, outcome, act, now)
    await session.flush()


def _objection(
    case: IdentificationCase, state: CaseState, text: str, contact: str | None, filed_by: str, now: datetime
) -> Objection:
    assert state.notice is not None  # apply() allows objections only during a notice
    return Objection(
        id=new_id(),
        case_id=case.id,
        notice=state.notice.value,
        text=text,
        contact=contact,
        filed_by=filed_by,
        filed_at=now,
        status="open",
    )


async def _resolve(
    session: AsyncSession,
    case: IdentificationCase,
    objection_id: str | None,
    finding: Finding,
    principal: Principal,
    reason: str,
    now: datetime,
) -> str:
    """Close the named (or oldest) open objection; an upheld one also closes the others (the case ends)."""
    open_ones = await repo.objections(session, case.id, only_open=True)
    if not open_ones:
        raise Conflict("no-open-objection", "the case has no open objection", "案件没有未处理的异议")
    chosen = next((o for o in open_ones if o.id == objection_id), None) if objection_id else open_ones[0]
    if chosen is None:
        raise NotFound("objection", objection_id or "", "异议")
    closing = open_ones if finding is Finding.UPHELD else [chosen]
    for objection in closing:
        objection.status = finding.value if objection is chosen else "moot"
        objection.resolved_by = principal.subject
        objection.resolved_at = now
        objection.resolution = reason
    return chosen.id


def public_objection(
    case: IdentificationCase, state: CaseState, text: str, contact: str | None, now: datetime
) -> Objection:
    """An objection row filed by the public (no account)."""
    return _objection(case, state, text, contact, "public", now)
