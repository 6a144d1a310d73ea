"""The procedure state machine, pure: who may act at each stage, notices, objections, pause arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identification.domain.procedure import (
    TABLE,
    Action,
    Advanced,
    CaseState,
    Finding,
    Locked,
    Notice,
    NoticeDurations,
    NoticeEnded,
    NoticeStarted,
    NoticeState,
    ObjectionFiled,
    ObjectionResolved,
    Rejected,
    Stage,
)
from identification.domain.procedure_steps import apply, awaiting, settle
from jzkit.auth import Role
from jzkit.errors import Conflict, DomainError, Forbidden, InvalidInput

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
PLAIN = NoticeDurations(first=WEEK, second=WEEK)
WITH_COUNTY = NoticeDurations(first=WEEK, second=WEEK, county=timedelta(days=15))
ROLES = [Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER]


def run_to_lock(durations: NoticeDurations) -> list[Stage]:
    """Approve step by step, each by the role the table names, waiting out each notice."""
    state, now, stages = CaseState(Stage.APPLIED), T0, [Stage.APPLIED]
    while state.stage is not Stage.LOCKED:
        step = TABLE[(state.stage, Action.APPROVE)]
        if state.notice_ends_at is not None:
            now = state.notice_ends_at
        state = apply(state, Action.APPROVE, step.role, now, durations).state
        stages.append(state.stage)
    return stages


def test_the_full_procedure_visits_every_stage_in_order() -> None:
    assert run_to_lock(PLAIN) == [
        Stage.APPLIED,
        Stage.VILLAGE_ASSESSED,
        Stage.FIRST_NOTICE,
        Stage.TOWNSHIP_REVIEWED,
        Stage.SECOND_NOTICE,
        Stage.COUNTY_APPROVED,
        Stage.ANNOUNCED,
        Stage.LOCKED,
    ]


def test_a_county_notice_runs_only_when_the_policy_has_one() -> None:
    stages = run_to_lock(WITH_COUNTY)
    assert stages[stages.index(Stage.COUNTY_APPROVED) + 1] is Stage.COUNTY_NOTICE
    assert Stage.COUNTY_NOTICE not in run_to_lock(PLAIN)


def test_each_step_names_one_role_and_admin_none() -> None:
    assert TABLE[(Stage.APPLIED, Action.APPROVE)].role is Role.VILLAGE_CLERK
    assert TABLE[(Stage.VILLAGE_ASSESSED, Action.APPROVE)].role is Role.VILLAGE_CLERK
    assert TABLE[(Stage.FIRST_NOTICE, Action.APPROVE)].role is Role.TOWNSHIP_REVIEWER
    assert TABLE[(Stage.TOWNSHIP_REVIEWED, Action.APPROVE)].role is Role.TOWNSHIP_REVIEWER
    for stage in (Stage.SECOND_NOTICE, Stage.COUNTY_APPROVED, Stage.COUNTY_NOTICE, Stage.ANNOUNCED):
        assert TABLE[(stage, Action.APPROVE)].role is Role.COUNTY_APPROVER
    assert all(step.role is not Role.ADMIN for step in TABLE.values())


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER])
def test_a_step_by_another_role_is_forbidden(role: Role) -> None:
    with pytest.raises(Forbidden) as err:
        apply(CaseState(Stage.APPLIED), Action.APPROVE, role, T0, PLAIN)
    assert err.value.code == "role-not-allowed"
    assert err.value.extra["awaits_role"] == "village_clerk"


def notice_state(ends: datetime = T0 + WEEK) -> CaseState:
    return CaseState(Stage.FIRST_NOTICE, Notice.FIRST, T0, ends, NoticeState.RUNNING)


def test_starting_the_first_notice_sets_its_end_from_the_policy() -> None:
    out = apply(CaseState(Stage.VILLAGE_ASSESSED), Action.APPROVE, Role.VILLAGE_CLERK, T0, PLAIN)
    assert out.state == notice_state()
    assert out.effects == (
        Advanced(Stage.VILLAGE_ASSESSED, Stage.FIRST_NOTICE),
        NoticeStarted(Notice.FIRST, T0 + WEEK),
    )


def test_approving_during_a_notice_is_refused_until_it_ends() -> None:
    with pytest.raises(Conflict) as err:
        apply(notice_state(), Action.APPROVE, Role.TOWNSHIP_REVIEWER, T0 + WEEK - timedelta(seconds=1), PLAIN)
    assert err.value.code == "notice-running"
    out = apply(notice_state(), Action.APPROVE, Role.TOWNSHIP_REVIEWER, T0 + WEEK, PLAIN)
    # The notice is closed first (in the same outcome), then the step is taken.
    assert out.effects == (
        NoticeEnded(Notice.FIRST, T0 + WEEK),
        Advanced(Stage.FIRST_NOTICE, Stage.TOWNSHIP_REVIEWED),
    )
    assert out.state == CaseState(Stage.TOWNSHIP_REVIEWED)


def test_rejecting_during_a_running_notice_is_refused() -> None:
    with pytest.raises(Conflict) as err:
        apply(notice_state(), Action.REJECT, Role.TOWNSHIP_REVIEWER, T0 + timedelta(days=1), PLAIN)
    assert err.value.code == "notice-running"


def test_settle_ends_a_notice_only_when_due() -> None:
    assert settle(notice_state(), T0 + timedelta(days=6)).effects == ()
    out = settle(notice_state(), T0 + timedelta(days=8))
    assert out.state.notice_state is NoticeState.ENDED
    assert out.effects == (NoticeEnded(Notice.FIRST, T0 + WEEK),)


def test_an_objection_stops_the_clock_and_blocks_approval() -> None:
    filed = T0 + timedelta(days=2)
    out = apply(notice_state(), Action.OBJECT, Role.AUDITOR, filed, PLAIN)
    assert out.effects == (ObjectionFiled(),)
    assert (out.state.notice_state, out.state.paused_at, out.state.open_objections) == (
        NoticeState.PAUSED,
        filed,
        1,
    )
    # Long after the original end: still paused, approval refused.
    with pytest.raises(Conflict) as err:
        apply(out.state, Action.APPROVE, Role.TOWNSHIP_REVIEWER, T0 + timedelta(days=30), PLAIN)
    assert err.value.code == "objection-open"


def test_dismissing_restores_the_remaining_time() -> None:
    filed, resolved = T0 + timedelta(days=2), T0 + timedelta(days=5, hours=3)
    paused = apply(notice_state(), Action.OBJECT, None, filed, PLAIN).state
    out = apply(paused, Action.RESOLVE, Role.TOWNSHIP_REVIEWER, resolved, PLAIN, finding=Finding.DISMISSED)
    # 5 days were left when the clock stopped; they run again from the resolution.
    assert out.state.notice_ends_at == resolved + timedelta(days=5)
    assert out.state.notice_ends_at == T0 + WEEK + (resolved - filed)
    assert out.state.notice_state is NoticeState.RUNNING
    assert out.effects == (ObjectionResolved(Finding.DISMISSED, resolved + timedelta(days=5)),)


def test_two_objections_pause_from_the_first_and_resume_after_the_last() -> None:
    first, second = T0 + timedelta(days=1), T0 + timedelta(days=3)
    state = apply(notice_state(), Action.OBJECT, None, first, PLAIN).state
    state = apply(state, Action.OBJECT, None, second, PLAIN).state
    assert (state.paused_at, state.open_objections) == (first, 2)
    state = apply(
        state, Action.RESOLVE, Role.COUNTY_APPROVER, T0 + timedelta(days=4), PLAIN, finding=Finding.DISMISSED
    ).state
    assert state.notice_state is NoticeState.PAUSED
    done = T0 + timedelta(days=10)
    state = apply(state, Action.RESOLVE, Role.TOWNSHIP_REVIEWER, done, PLAIN, finding=Finding.DISMISSED).state
    assert state.notice_ends_at == done + timedelta(days=6)


def test_an_upheld_objection_rejects_the_case() -> None:
    paused = apply(notice_state(), Action.OBJECT, None, T0 + timedelta(days=1), PLAIN).state
    out = apply(
        paused, Action.RESOLVE, Role.TOWNSHIP_REVIEWER, T0 + timedelta(days=2), PLAIN, finding=Finding.UPHELD
    )
    assert out.state == CaseState(Stage.REJECTED)
    assert out.effects == (ObjectionResolved(Finding.UPHELD, None), Rejected(Stage.FIRST_NOTICE))


@pytest.mark.parametrize(
    ("state", "action", "role", "finding", "code"),
    [
        (CaseState(Stage.APPLIED), Action.OBJECT, Role.AUDITOR, None, "no-notice-running"),
        (notice_state(), Action.RESOLVE, Role.TOWNSHIP_REVIEWER, Finding.DISMISSED, "no-open-objection"),
        (CaseState(Stage.LOCKED), Action.APPROVE, Role.COUNTY_APPROVER, None, "case-closed"),
        (CaseState(Stage.REJECTED), Action.OBJECT, None, None, "case-closed"),
    ],
)
def test_out_of_order_actions_conflict(
    state: CaseState, action: Action, role: Role | None, finding: Finding | None, code: str
) -> None:
    with pytest.raises(Conflict) as err:
        apply(state, action, role, T0, PLAIN, finding=finding)
    assert err.value.code == code


def test_an_objection_after_the_notice_ended_is_refused() -> None:
    with pytest.raises(Conflict) as err:
        apply(notice_state(), Action.OBJECT, None, T0 + WEEK, PLAIN)
    assert err.value.code == "notice-ended"


def test_a_stale_from_stage_is_refused() -> None:
    with pytest.raises(Conflict) as err:
        apply(
            CaseState(Stage.VILLAGE_ASSESSED),
            Action.APPROVE,
            Role.VILLAGE_CLERK,
            T0,
            PLAIN,
            expected_stage=Stage.APPLIED,
        )
    assert (err.value.code, err.value.field) == ("stage-mismatch", "from_stage")


def test_resolve_needs_a_resolver_and_a_finding() -> None:
    paused = apply(notice_state(), Action.OBJECT, None, T0, PLAIN).state
    with pytest.raises(Forbidden):
        apply(paused, Action.RESOLVE, Role.VILLAGE_CLERK, T0, PLAIN, finding=Finding.UPHELD)
    with pytest.raises(InvalidInput) as err:
        apply(paused, Action.RESOLVE, Role.TOWNSHIP_REVIEWER, T0, PLAIN)
    assert err.value.field == "finding"


def test_locking_emits_the_lock_effect() -> None:
    out = apply(CaseState(Stage.ANNOUNCED), Action.APPROVE, Role.COUNTY_APPROVER, T0, PLAIN)
    assert out.effects == (Advanced(Stage.ANNOUNCED, Stage.LOCKED), Locked())


def test_awaiting_names_the_next_role() -> None:
    assert awaiting(CaseState(Stage.APPLIED), T0) == (Role.VILLAGE_CLERK, Action.APPROVE)
    assert awaiting(notice_state(), T0) is None
    assert awaiting(notice_state(), T0 + WEEK) == (Role.TOWNSHIP_REVIEWER, Action.APPROVE)
    assert awaiting(CaseState(Stage.LOCKED), T0) is None


@given(
    stage=st.sampled_from([s for s in Stage if s not in (Stage.LOCKED, Stage.REJECTED)]),
    role=st.sampled_from(list(Role)),
    action=st.sampled_from([Action.APPROVE, Action.REJECT]),
)
def test_only_the_tables_role_ever_moves_a_case(stage: Stage, role: Role, action: Action) -> None:
    state = (
        CaseState(stage, Notice.FIRST, T0, T0, NoticeState.ENDED)
        if stage.name.endswith("NOTICE")
        else CaseState(stage)
    )
    try:
        out = apply(state, action, role, T0 + WEEK, WITH_COUNTY)
    except DomainError:
        assert role is not TABLE[(stage, action)].role
        return
    assert role is TABLE[(stage, action)].role
    assert out.state.stage is not stage
