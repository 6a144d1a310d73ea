"""The grant (补助申请) state machine, pure: ``transition`` returns the new state and the events to emit.

Steps (the seed's 申请 → 工作队和镇村干部核实 → 公示 ≥ 7 天 → 乡镇审核)::

    applied --verify--> verified --publish--> notice --approve--> approved --batch--> in_batch
    in_batch --settle--> paid --return--> returned
    in_batch --fail--> failed
    failed | returned --retry--> approved          (a new payment attempt in a later batch)
    applied | verified | notice --reject--> rejected
    applied .. approved, failed, returned --cancel--> cancelled   (e.g. the household exited)

Roles: the village clerk (for the work team) or a township reviewer verifies and publishes the
notice; only a township reviewer approves, and only once the notice has run
(``now >= notice_ends_at``, the caller sets it to ``now + program.notice`` on ``publish``);
the funds officer (or the system, for the bank's reports) batches, settles, fails, retries.
``cancel`` is the system's (household exited) or a funds officer's / township reviewer's.

Money: the budget is reserved when a grant is approved, so a budget that would be exceeded
refuses the approval and concurrent approvals race on the database's non-negative check.
``fail`` and ``cancel`` of an approved grant release the reservation, ``return`` puts paid money
back in the budget, and ``retry`` reserves again (refused if the budget is gone meanwhile).

Payments: every ``batch`` creates a payment attempt numbered per grant, unique on
``(grant_id, attempt)``, with a partial unique index allowing at most one attempt that is
pending or paid per grant: a grant is paid at most once whatever is retried or duplicated. The
EndToEndId of every attempt is the grant's id (see ``iso20022.ids``); the bank's reports are
matched by the batch's message id plus the EndToEndId, and a report for an attempt that is no
longer pending changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from jzkit.auth import Role
from jzkit.errors import Conflict, Forbidden, InvalidInput


class GrantState(StrEnum):
    """Where a grant stands."""

    APPLIED = "applied"
    VERIFIED = "verified"
    NOTICE = "notice"
    APPROVED = "approved"
    IN_BATCH = "in_batch"
    PAID = "paid"
    FAILED = "failed"
    RETURNED = "returned"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class GrantAction(StrEnum):
    """What may be done to a grant (``POST /grants/{id}/transitions`` ``action``)."""

    VERIFY = "verify"
    PUBLISH = "publish"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    BATCH = "batch"
    SETTLE = "settle"
    FAIL = "fail"
    RETURN = "return"
    RETRY = "retry"


S, A = GrantState, GrantAction
_WORK_TEAM = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER})
_FUNDS = frozenset({Role.FUNDS_OFFICER, Role.SYSTEM})

# (from state, action) → (to state, roles allowed, event type emitted)
TRANSITIONS: dict[tuple[GrantState, GrantAction], tuple[GrantState, frozenset[Role], str]] = {
    (S.APPLIED, A.VERIFY): (S.VERIFIED, _WORK_TEAM, "funds.grant.verified"),
    (S.VERIFIED, A.PUBLISH): (S.NOTICE, _WORK_TEAM, "funds.grant.notice_started"),
    (S.NOTICE, A.APPROVE): (S.APPROVED, frozenset({Role.TOWNSHIP_REVIEWER}), "funds.grant.approved"),
    (S.APPROVED, A.BATCH): (S.IN_BATCH, _FUNDS, "funds.grant.batched"),
    (S.IN_BATCH, A.SETTLE): (S.PAID, _FUNDS, "funds.disbursed"),
    (S.IN_BATCH, A.FAIL): (S.FAILED, _FUNDS, "funds.disbursement.failed"),
    (S.PAID, A.RETURN): (S.RETURNED, _FUNDS, "funds.payment.returned"),
    (S.FAILED, A.RETRY): (S.APPROVED, frozenset({Role.FUNDS_OFFICER}), "funds.grant.retried"),
    (S.RETURNED, A.RETRY): (S.APPROVED, frozenset({Role.FUNDS_OFFICER}), "funds.grant.retried"),
}
_REJECTABLE = (S.APPLIED, S.VERIFIED, S.NOTICE)
_CANCELLABLE = (S.APPLIED, S.VERIFIED, S.NOTICE, S.APPROVED, S.FAILED, S.RETURNED)
for _state in _REJECTABLE:
    TRANSITIONS[(_state, A.REJECT)] = (
        S.REJECTED,
        frozenset({Role.TOWNSHIP_REVIEWER}) if _state is S.NOTICE else _WORK_TEAM,
        "funds.grant.rejected",
    )
for _state in _CANCELLABLE:
    TRANSITIONS[(_state, A.CANCEL)] = (
        S.CANCELLED,
        frozenset({Role.SYSTEM, Role.FUNDS_OFFICER, Role.TOWNSHIP_REVIEWER}),
        "funds.grant.cancelled",
    )

APPLY_ROLES = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.FUNDS_OFFICER})
"""Who may file an application on a household's (or enterprise's) behalf."""

HOLDS_RESERVATION = frozenset({S.APPROVED, S.IN_BATCH})
"""States in which the grant's amount sits in the budget's reserved account."""

TERMINAL = frozenset({S.REJECTED, S.CANCELLED})


def _parse_action(action: str) -> GrantAction:
    try:
        return GrantAction(action)
    except ValueError:
        raise InvalidInput(
            "unknown-action",
            f"unknown action {action!r}; one of {[a.value for a in GrantAction]}",
            f"未知操作 {action!r}",
            field="action",
        ) from None


def transition(
    state: GrantState | str,
    action: GrantAction | str,
    role: Role | str,
    now: datetime,
    notice_ends_at: datetime | None,
) -> tuple[GrantState, list[str]]:
    """Apply ``action`` by ``role`` at ``now``: the new state and the event types to record."""
    current = GrantState(state)
    act = _parse_action(action) if not isinstance(action, GrantAction) else action
    step = TRANSITIONS.get((current, act))
    if step is None:
        raise Conflict(
            "transition-not-allowed",
            f"a grant that is {current.value} cannot {act.value}",
            f"状态为 {current.value} 的申请不能执行 {act.value}",
            field="action",
        )
    target, roles, event = step
    if Role(role) not in roles:
        raise Forbidden(
            "role-not-allowed",
            f"role {role} may not {act.value} a grant",
            f"角色 {role} 无权对申请执行 {act.value}",
            field="action",
        )
    if act is A.PUBLISH and notice_ends_at is None:
        raise InvalidInput(
            "notice-end-missing",
            "publishing needs the notice's end",
            "公示需指定结束时间",
            field="notice_ends_at",
        )
    if act is A.APPROVE and (notice_ends_at is None or now < notice_ends_at):
        raise Conflict(
            "notice-not-ended",
            f"the public notice runs until {notice_ends_at.isoformat() if notice_ends_at else 'unknown'}",
            "公示期未满,不能审批",
            field="action",
        )
    return target, [event]


def allowed_actions(state: GrantState | str, role: Role | str) -> list[GrantAction]:
    """The actions ``role`` may take on a grant in ``state`` (for the API's affordances)."""
    current, who = GrantState(state), Role(role)
    return [act for (src, act), (_, roles, _) in TRANSITIONS.items() if src is current and who in roles]
