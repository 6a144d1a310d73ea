"""The grant state machine: the happy path, payment outcomes, and every refused transition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from funds.domain.grant import (
    HOLDS_RESERVATION,
    TERMINAL,
    TRANSITIONS,
    GrantAction,
    GrantState,
    allowed_actions,
    transition,
)
from jzkit.auth import Role
from jzkit.errors import Conflict, Forbidden, InvalidInput

NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)
ENDS = NOW + timedelta(days=7)
S, A = GrantState, GrantAction


def test_happy_path_to_paid_and_its_events() -> None:
    steps = [
        (S.APPLIED, A.VERIFY, Role.VILLAGE_CLERK, NOW, None, S.VERIFIED, "funds.grant.verified"),
        (S.VERIFIED, A.PUBLISH, Role.VILLAGE_CLERK, NOW, ENDS, S.NOTICE, "funds.grant.notice_started"),
        (S.NOTICE, A.APPROVE, Role.TOWNSHIP_REVIEWER, ENDS, ENDS, S.APPROVED, "funds.grant.approved"),
        (S.APPROVED, A.BATCH, Role.FUNDS_OFFICER, ENDS, ENDS, S.IN_BATCH, "funds.grant.batched"),
        (S.IN_BATCH, A.SETTLE, Role.SYSTEM, ENDS, ENDS, S.PAID, "funds.disbursed"),
        (S.PAID, A.RETURN, Role.SYSTEM, ENDS, ENDS, S.RETURNED, "funds.payment.returned"),
        (S.RETURNED, A.RETRY, Role.FUNDS_OFFICER, ENDS, ENDS, S.APPROVED, "funds.grant.retried"),
    ]
    for state, action, role, now, ends, target, event in steps:
        assert transition(state, action, role, now, ends) == (target, [event])


def test_failure_and_retry() -> None:
    assert transition("in_batch", "fail", "system", NOW, None) == (S.FAILED, ["funds.disbursement.failed"])
    assert transition("failed", "retry", "funds_officer", NOW, None) == (S.APPROVED, ["funds.grant.retried"])


def test_approval_waits_for_the_notice() -> None:
    with pytest.raises(Conflict) as caught:
        transition(S.NOTICE, A.APPROVE, Role.TOWNSHIP_REVIEWER, ENDS - timedelta(seconds=1), ENDS)
    assert caught.value.code == "notice-not-ended"
    with pytest.raises(Conflict):
        transition(S.NOTICE, A.APPROVE, Role.TOWNSHIP_REVIEWER, ENDS, None)
    with pytest.raises(InvalidInput) as missing:
        transition(S.VERIFIED, A.PUBLISH, Role.VILLAGE_CLERK, NOW, None)
    assert missing.value.field == "notice_ends_at"


@pytest.mark.parametrize("state", list(GrantState))
@pytest.mark.parametrize("action", list(GrantAction))
def test_every_transition_not_in_the_table_is_refused(state: GrantState, action: GrantAction) -> None:
    if (state, action) in TRANSITIONS:
        target, roles, _ = TRANSITIONS[(state, action)]
        role = sorted(roles)[0]
        assert transition(state, action, role, ENDS, ENDS)[0] is target
        return
    for role in Role:
        with pytest.raises(Conflict) as caught:
            transition(state, action, role, ENDS, ENDS)
        assert caught.value.field == "action" and caught.value.status == 409


@pytest.mark.parametrize(("state", "action"), sorted(TRANSITIONS))
def test_every_role_outside_the_step_is_forbidden(state: GrantState, action: GrantAction) -> None:
    _, roles, _ = TRANSITIONS[(state, action)]
    for role in set(Role) - roles:
        with pytest.raises(Forbidden):
            transition(state, action, role, ENDS, ENDS)


def test_specific_role_rules() -> None:
    # Only a township reviewer approves; a clerk can reject before the notice but not during it.
    with pytest.raises(Forbidden):
        transition(S.NOTICE, A.APPROVE, Role.VILLAGE_CLERK, ENDS, ENDS)
    with pytest.raises(Forbidden):
        transition(S.NOTICE, A.REJECT, Role.VILLAGE_CLERK, NOW, ENDS)
    assert transition(S.VERIFIED, A.REJECT, Role.VILLAGE_CLERK, NOW, None)[0] is S.REJECTED
    with pytest.raises(Forbidden):
        transition(S.APPROVED, A.BATCH, Role.TOWNSHIP_REVIEWER, NOW, None)
    with pytest.raises(Forbidden):
        transition(S.FAILED, A.RETRY, Role.SYSTEM, NOW, None)


def test_terminal_states_and_paid_grants_cannot_be_cancelled() -> None:
    for state in (*TERMINAL, S.PAID, S.IN_BATCH):
        assert not any(src is state for src, act in TRANSITIONS if act is A.CANCEL)
    for state in TERMINAL:
        assert allowed_actions(state, Role.ADMIN) == []
    assert S.APPROVED in HOLDS_RESERVATION and S.FAILED not in HOLDS_RESERVATION


def test_unknown_action_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        transition(S.APPLIED, "bribe", Role.VILLAGE_CLERK, NOW, None)
    assert caught.value.field == "action"


def test_allowed_actions() -> None:
    assert allowed_actions(S.APPLIED, Role.VILLAGE_CLERK) == [A.VERIFY, A.REJECT]
    assert set(allowed_actions(S.NOTICE, Role.TOWNSHIP_REVIEWER)) == {A.APPROVE, A.REJECT, A.CANCEL}
    assert allowed_actions(S.IN_BATCH, Role.FUNDS_OFFICER) == [A.SETTLE, A.FAIL]
