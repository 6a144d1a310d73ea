"""Applying one action to a case: the procedure table read as pure functions (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from identification.domain.procedure import (
    NOTICE_STAGES,
    RESOLVERS,
    TABLE,
    TERMINAL,
    Action,
    Advanced,
    CaseState,
    Effect,
    Finding,
    Locked,
    NoticeDurations,
    NoticeEnded,
    NoticeStarted,
    NoticeState,
    ObjectionFiled,
    ObjectionResolved,
    Outcome,
    Rejected,
    Stage,
    Step,
)
from jzkit.auth import Role
from jzkit.errors import Conflict, Forbidden, InvalidInput


def settle(state: CaseState, now: datetime) -> Outcome:
    """Close the running notice if its end has passed (what the scheduler does, and every action first)."""
    if state.notice_state is NoticeState.RUNNING and state.notice_ends_at is not None:
        if state.notice_ends_at <= now and state.notice is not None:
            ended = replace(state, notice_state=NoticeState.ENDED)
            return Outcome(ended, (NoticeEnded(state.notice, state.notice_ends_at),))
    return Outcome(state, ())


def apply(
    state: CaseState,
    action: Action,
    role: Role | None,
    now: datetime,
    durations: NoticeDurations,
    *,
    finding: Finding | None = None,
    expected_stage: Stage | None = None,
) -> Outcome:
    """The new state and effects of ``action`` by ``role`` (None: the public); raises when refused."""
    if state.stage in TERMINAL:
        raise Conflict("case-closed", f"the case is already {state.stage}", f"案件已结束（{state.stage}）")
    if expected_stage is not None and expected_stage != state.stage:
        raise Conflict(
            "stage-mismatch",
            f"the case is at {state.stage}, not {expected_stage}",
            f"案件当前处于 {state.stage}，而非 {expected_stage}",
            field="from_stage",
        )
    if finding is not None and action is not Action.RESOLVE:
        raise InvalidInput(
            "finding-not-allowed", "only resolve takes a finding", "仅 resolve 可带 finding", "finding"
        )
    settled = settle(state, now)
    if action is Action.OBJECT:
        after = _object(settled.state, now)
    elif action is Action.RESOLVE:
        after = _resolve(settled.state, role, now, finding)
    else:
        after = _step(settled.state, action, role, now, durations)
    return Outcome(after.state, settled.effects + after.effects)


def awaiting(state: CaseState, now: datetime) -> tuple[Role, Action] | None:
    """Who must act next and how (None: the case is closed or a notice is still running)."""
    if state.stage in TERMINAL:
        return None
    if state.open_objections:
        return Role.TOWNSHIP_REVIEWER, Action.RESOLVE
    current = settle(state, now).state
    if current.stage in NOTICE_STAGES and current.notice_state is not NoticeState.ENDED:
        return None
    return TABLE[(current.stage, Action.APPROVE)].role, Action.APPROVE


def _step(
    state: CaseState, action: Action, role: Role | None, now: datetime, durations: NoticeDurations
) -> Outcome:
    step = TABLE[(state.stage, action)]
    if role is not step.role:
        raise Forbidden(
            "role-not-allowed",
            f"at {state.stage} only {step.role} may {action}",
            f"{state.stage} 阶段仅 {step.role} 可执行 {action}",
            extra={"awaits_role": step.role.value},
        )
    if step.needs_notice_ended:
        _require_notice_ended(state)
    if step.to is Stage.REJECTED:
        return Outcome(_closed(state, Stage.REJECTED), (Rejected(state.stage),))
    return _advance(state, step, now, durations)


def _advance(state: CaseState, step: Step, now: datetime, durations: NoticeDurations) -> Outcome:
    target = step.to
    notice = NOTICE_STAGES.get(target)
    if notice is not None:
        length = durations.of(notice)
        if length is None:  # this plan has no such notice: go straight to the step after it
            target = TABLE[(target, Action.APPROVE)].to
        else:
            ends = now + length
            started = CaseState(target, notice, now, ends, NoticeState.RUNNING)
            return Outcome(started, (Advanced(state.stage, target), NoticeStarted(notice, ends)))
    moved = _closed(state, target)
    effects: tuple[Effect, ...] = (Advanced(state.stage, target),)
    return Outcome(moved, effects + ((Locked(),) if target is Stage.LOCKED else ()))


def _require_notice_ended(state: CaseState) -> None:
    if state.open_objections:
        raise Conflict(
            "objection-open",
            "an objection is open: it must be resolved first",
            "存在未处理的异议，须先处理",
            extra={"open_objections": state.open_objections},
        )
    if state.notice_state is not NoticeState.ENDED:
        ends = state.notice_ends_at.isoformat() if state.notice_ends_at else None
        raise Conflict(
            "notice-running",
            f"the notice runs until {ends}",
            f"公示期未满（至 {ends}）",
            extra={"notice_ends_at": ends},
        )


def _object(state: CaseState, now: datetime) -> Outcome:
    if state.stage not in NOTICE_STAGES:
        raise Conflict("no-notice-running", "the case is not under public notice", "案件不在公示期")
    if state.notice_state is NoticeState.ENDED:
        raise Conflict("notice-ended", "the notice has ended", "公示期已结束")
    paused_at = state.paused_at if state.notice_state is NoticeState.PAUSED else now
    paused = replace(
        state, notice_state=NoticeState.PAUSED, paused_at=paused_at, open_objections=state.open_objections + 1
    )
    return Outcome(paused, (ObjectionFiled(),))


def _resolve(state: CaseState, role: Role | None, now: datetime, finding: Finding | None) -> Outcome:
    if role not in RESOLVERS:
        raise Forbidden(
            "role-not-allowed",
            "only a township reviewer or county approver resolves objections",
            "仅乡镇审核人或县级审批人可处理异议",
        )
    if finding is None:
        raise InvalidInput(
            "finding-required", "resolve needs a finding", "处理异议须给出结论", field="finding"
        )
    if not state.open_objections or state.paused_at is None or state.notice_ends_at is None:
        raise Conflict("no-open-objection", "the case has no open objection", "案件没有未处理的异议")
    if finding is Finding.UPHELD:
        return Outcome(
            _closed(state, Stage.REJECTED), (ObjectionResolved(finding, None), Rejected(state.stage))
        )
    left = state.open_objections - 1
    if left:
        return Outcome(replace(state, open_objections=left), (ObjectionResolved(finding, None),))
    # The clock stopped at the first objection; the remaining time is restored, not restarted.
    resumed = state.notice_ends_at + (now - state.paused_at)
    running = replace(
        state, notice_ends_at=resumed, notice_state=NoticeState.RUNNING, paused_at=None, open_objections=0
    )
    return Outcome(running, (ObjectionResolved(finding, resumed),))


def _closed(state: CaseState, stage: Stage) -> CaseState:
    """``state`` moved to a stage without a notice: the notice fields are cleared (history keeps them)."""
    return replace(
        state,
        stage=stage,
        notice=None,
        notice_started_at=None,
        notice_ends_at=None,
        notice_state=None,
        paused_at=None,
        open_objections=0,
    )
