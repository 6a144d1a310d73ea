"""Recording what an action did: history entries, outbox events and the household decision state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.procedure import (
    Advanced,
    Locked,
    NoticeEnded,
    NoticeStarted,
    ObjectionFiled,
    ObjectionResolved,
    Outcome,
    Rejected,
    Stage,
)
from identification.models.case import CaseStep, IdentificationCase
from identification.repository import cases as repo
from identification.repository.facts import set_decision
from jzkit.contracts import identification as contract
from jzkit.contracts.envelope import EventData, make_event
from jzkit.logs import request_id_var
from jzkit.messaging.outbox import record_event

SOURCE = "/jingzhun/identification"
NOTICE_CLOCK = "system:notice-clock"
NOTICE_ENDED_REASON = "notice period ended with no open objection (公示期满无异议)"


@dataclass(frozen=True)
class Act:
    """Who did what and why (进出有据): the part of history the caller supplies."""

    actor: str
    role: str | None
    action: str
    reason: str
    evidence: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def emit(session: AsyncSession, case: IdentificationCase, data: EventData, actor: str, reason: str) -> None:
    """Stage ``data`` in the outbox; the subject is the household so its dossier collects every step."""
    event = make_event(
        data,
        source=SOURCE,
        subject=f"household/{case.household_id}",
        actor=actor,
        reason=reason,
        requestid=request_id_var.get(),
    )
    record_event(session, event)


def _ids(case: IdentificationCase) -> dict[str, str]:
    return {
        "case_id": case.id,
        "household_id": case.household_id,
        "division_code": case.division_code,
        "kind": case.kind,
    }


def _step(
    case: IdentificationCase,
    seq: int,
    at: datetime,
    act: Act,
    from_stage: str | None,
    to_stage: str | None = None,
) -> CaseStep:
    return CaseStep(
        case_id=case.id,
        seq=seq,
        at=at,
        actor=act.actor,
        role=act.role,
        action=act.action,
        from_stage=from_stage,
        to_stage=to_stage or case.stage,
        reason=act.reason,
        evidence=list(act.evidence),
        details=dict(act.details),
    )


async def record_opening(session: AsyncSession, case: IdentificationCase, act: Act) -> None:
    """History and event of a case just opened."""
    session.add(_step(case, 1, case.opened_at, act, None))
    data = contract.CaseOpened(**_ids(case), policy_id=case.policy_id, stage=case.stage)
    emit(session, case, data, act.actor, act.reason)


async def record_outcome(
    session: AsyncSession,
    case: IdentificationCase,
    before: Stage,
    outcome: Outcome,
    act: Act | None,
    now: datetime,
) -> None:
    """Write history, events and decision state for ``outcome`` (already stored in ``case``)."""
    seq = await repo.next_seq(session, case.id)
    details = dict(act.details) if act else {}
    for effect in outcome.effects:
        if isinstance(effect, NoticeEnded):
            ended = Act(
                NOTICE_CLOCK, None, "notice_ended", NOTICE_ENDED_REASON, details={"notice": effect.notice}
            )
            session.add(_step(case, seq, effect.ended_at, ended, before, before))
            seq += 1
            data: EventData = contract.NoticeEnded(
                **_ids(case), notice=effect.notice, ended_at=effect.ended_at
            )
            emit(session, case, data, NOTICE_CLOCK, NOTICE_ENDED_REASON)
            continue
        if act is None:
            continue
        if isinstance(effect, Advanced):
            data = contract.CaseAdvanced(**_ids(case), from_stage=effect.from_stage, to_stage=effect.to_stage)
        elif isinstance(effect, NoticeStarted):
            details.update(notice=effect.notice.value, notice_ends_at=effect.ends_at.isoformat())
            data = contract.NoticeStarted(**_ids(case), notice=effect.notice, ends_at=effect.ends_at)
        elif isinstance(effect, Rejected):
            await _decide_rejection(session, case)
            data = contract.CaseRejected(**_ids(case), stage=effect.stage)
        elif isinstance(effect, ObjectionFiled):
            data = contract.ObjectionFiled(**_ids(case), objection_id=str(act.details["objection_id"]))
        elif isinstance(effect, ObjectionResolved):
            details.update(finding=effect.finding.value)
            if effect.resumed_until is not None:
                details["notice_ends_at"] = effect.resumed_until.isoformat()
            data = contract.ObjectionResolved(
                **_ids(case),
                objection_id=str(act.details.get("objection_id", "")),
                finding=effect.finding.value,
                notice_ends_at=effect.resumed_until,
            )
        elif isinstance(effect, Locked):
            data = await _decide_lock(session, case, now)
        emit(session, case, data, act.actor, act.reason)
    if act is not None:
        session.add(_step(case, seq, now, Act(**{**act.__dict__, "details": details}), before))


async def _decide_rejection(session: AsyncSession, case: IdentificationCase) -> None:
    # A rejected entry is "rejected"; a rejected re-entry is exited again; a rejected exit stays poor.
    if case.kind == "entry":
        await set_decision(session, case.household_id, status="rejected")
    elif case.kind == "reentry":
        await set_decision(session, case.household_id, status="exited")


async def _decide_lock(session: AsyncSession, case: IdentificationCase, now: datetime) -> EventData:
    common: dict[str, Any] = {
        "household_id": case.household_id,
        "division_code": case.division_code,
        "case_id": case.id,
        "policy_id": case.policy_id,
        "members_count": case.members_count,
        "decided_at": now,
    }
    if case.kind == "entry":
        await set_decision(session, case.household_id, status="poor")
        return contract.HouseholdApproved(**common)
    if case.kind == "reentry":
        await set_decision(session, case.household_id, status="poor")
        return contract.HouseholdReentered(**common)
    if case.kind == "exit":
        await set_decision(session, case.household_id, status="exited")
        return contract.HouseholdExited(**common)
    await set_decision(session, case.household_id, monitored=not case.removal)
    if case.removal:
        return contract.MonitoringEnded(**common)
    return contract.MonitoringStarted(**common, risk=case.risk or "")
