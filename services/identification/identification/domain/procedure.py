"""The identification procedure (识别程序) as a pure state machine: stages, who acts, notices.

Decisions documented here (the API follows them):
- Only ``approve`` moves a case on; the table below says, per stage, which ONE role approves (and
  may reject) and whether the stage's public notice must have ended first. No role bypasses it
  (admin, auditor, funds officer and system act on no stage).
- A wrong role is 403 ``role-not-allowed``; an action the stage does not allow is 409
  (``case-closed``, ``stage-mismatch`` when the caller's ``from_stage`` is stale,
  ``notice-running``, ``objection-open``, ``no-notice-running``, ``notice-ended``, ``no-open-objection``).
- A notice whose end has passed is closed by :func:`settle` before any action, so approving after the
  period works whether or not the scheduler has run yet (the ``notice.ended`` event then joins the
  approval's transaction). The stage stays ``first_notice`` etc. with ``notice_state == "ended"``:
  that is the state in which the next role may act.
- Rejection during a running notice is refused: the notice is the public's time; an official who
  finds a problem files an objection (``object``), which a reviewer then upholds.
- Objections pause the clock at the first open one; when the last is dismissed ``notice_ends_at`` moves
  forward by the paused time. An upheld objection rejects the case.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from jzkit.auth import Role


class Stage(StrEnum):
    """Where a case stands in the procedure."""

    APPLIED = "applied"
    VILLAGE_ASSESSED = "village_assessed"  # 民主评议
    FIRST_NOTICE = "first_notice"  # 村级公示
    TOWNSHIP_REVIEWED = "township_reviewed"
    SECOND_NOTICE = "second_notice"  # 乡镇公示
    COUNTY_APPROVED = "county_approved"
    COUNTY_NOTICE = "county_notice"  # 县级公示 (plans that have one)
    ANNOUNCED = "announced"  # 公告
    LOCKED = "locked"  # 锁定入库
    REJECTED = "rejected"


class Action(StrEnum):
    """What a caller asks of a case."""

    APPROVE = "approve"
    REJECT = "reject"
    OBJECT = "object"
    RESOLVE = "resolve"


class Notice(StrEnum):
    """The public notices (公示) of the procedure."""

    FIRST = "first"
    SECOND = "second"
    COUNTY = "county"


class NoticeState(StrEnum):
    """Whether a notice's clock runs, is stopped by an objection, or has run out."""

    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class Finding(StrEnum):
    """Outcome of investigating an objection."""

    UPHELD = "upheld"
    DISMISSED = "dismissed"


TERMINAL = frozenset({Stage.LOCKED, Stage.REJECTED})
NOTICE_STAGES = {
    Stage.FIRST_NOTICE: Notice.FIRST,
    Stage.SECOND_NOTICE: Notice.SECOND,
    Stage.COUNTY_NOTICE: Notice.COUNTY,
}
RESOLVERS = frozenset({Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER})


@dataclass(frozen=True)
class Step:
    """One row of the procedure table."""

    to: Stage
    role: Role
    needs_notice_ended: bool = False


_APPROVALS: dict[Stage, Step] = {
    Stage.APPLIED: Step(Stage.VILLAGE_ASSESSED, Role.VILLAGE_CLERK),
    Stage.VILLAGE_ASSESSED: Step(Stage.FIRST_NOTICE, Role.VILLAGE_CLERK),
    Stage.FIRST_NOTICE: Step(Stage.TOWNSHIP_REVIEWED, Role.TOWNSHIP_REVIEWER, needs_notice_ended=True),
    Stage.TOWNSHIP_REVIEWED: Step(Stage.SECOND_NOTICE, Role.TOWNSHIP_REVIEWER),
    Stage.SECOND_NOTICE: Step(Stage.COUNTY_APPROVED, Role.COUNTY_APPROVER, needs_notice_ended=True),
    Stage.COUNTY_APPROVED: Step(Stage.COUNTY_NOTICE, Role.COUNTY_APPROVER),
    Stage.COUNTY_NOTICE: Step(Stage.ANNOUNCED, Role.COUNTY_APPROVER, needs_notice_ended=True),
    Stage.ANNOUNCED: Step(Stage.LOCKED, Role.COUNTY_APPROVER),
}
# (stage, action) -> step: approve moves on; reject ends the case, by the same role under the same rule.
TABLE: dict[tuple[Stage, Action], Step] = {
    **{(stage, Action.APPROVE): step for stage, step in _APPROVALS.items()},
    **{(stage, Action.REJECT): replace(step, to=Stage.REJECTED) for stage, step in _APPROVALS.items()},
}


@dataclass(frozen=True)
class NoticeDurations:
    """Notice lengths from the policy; a missing county notice is skipped."""

    first: timedelta
    second: timedelta
    county: timedelta | None = None

    def of(self, notice: Notice) -> timedelta | None:
        """The length of ``notice`` (None: this plan has no such notice)."""
        return {Notice.FIRST: self.first, Notice.SECOND: self.second, Notice.COUNTY: self.county}[notice]


@dataclass(frozen=True)
class CaseState:
    """The part of a case the procedure decides on."""

    stage: Stage
    notice: Notice | None = None
    notice_started_at: datetime | None = None
    notice_ends_at: datetime | None = None
    notice_state: NoticeState | None = None
    paused_at: datetime | None = None
    open_objections: int = 0


@dataclass(frozen=True)
class Advanced:
    """The case moved from one stage to the next."""

    from_stage: Stage
    to_stage: Stage


@dataclass(frozen=True)
class Rejected:
    """The case was rejected at ``stage``."""

    stage: Stage


@dataclass(frozen=True)
class NoticeStarted:
    """A notice began; it ends at ``ends_at`` unless an objection stops the clock."""

    notice: Notice
    ends_at: datetime


@dataclass(frozen=True)
class NoticeEnded:
    """A notice ran out with no open objection."""

    notice: Notice
    ended_at: datetime


@dataclass(frozen=True)
class ObjectionFiled:
    """An objection was filed; the notice clock is stopped."""


@dataclass(frozen=True)
class ObjectionResolved:
    """An objection was investigated; ``resumed_until`` is the new end when the clock runs again."""

    finding: Finding
    resumed_until: datetime | None


@dataclass(frozen=True)
class Locked:
    """The decision is final (锁定入库): the household decision event follows."""


Effect = Advanced | Rejected | NoticeStarted | NoticeEnded | ObjectionFiled | ObjectionResolved | Locked


@dataclass(frozen=True)
class Outcome:
    """The state after an action and the effects (events, history) it causes."""

    state: CaseState
    effects: tuple[Effect, ...]
