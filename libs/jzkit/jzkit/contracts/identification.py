"""Events the identification service publishes: the procedure's steps and its decisions.

Registry and funds act on the decisions (``identification.household.*``); the step events
(``identification.case.*``, ``.notice.*``, ``.objection.*``) feed the audit log and dashboards.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from jzkit.contracts.envelope import EventData


class CaseEvent(EventData):
    """Fields every case event carries, so a consumer never has to look the case up."""

    case_id: str
    household_id: str
    division_code: str
    kind: str  # entry | exit | reentry | monitoring


class CaseOpened(CaseEvent):
    """A case was opened (申请/启动): the household is now under review."""

    event_type: ClassVar[str] = "identification.case.opened"
    policy_id: str
    stage: str


class CaseAdvanced(CaseEvent):
    """A case moved one stage on (village assessed, township reviewed, county approved, ...)."""

    event_type: ClassVar[str] = "identification.case.advanced"
    from_stage: str
    to_stage: str


class CaseRejected(CaseEvent):
    """A case was rejected at ``stage``; the reason is the envelope's ``reason``."""

    event_type: ClassVar[str] = "identification.case.rejected"
    stage: str


class NoticeStarted(CaseEvent):
    """A public notice (公示) began; objections may be filed until ``ends_at``."""

    event_type: ClassVar[str] = "identification.notice.started"
    notice: str  # first | second | county
    ends_at: datetime


class NoticeEnded(CaseEvent):
    """A public notice ran out with no open objection."""

    event_type: ClassVar[str] = "identification.notice.ended"
    notice: str
    ended_at: datetime


class ObjectionFiled(CaseEvent):
    """Someone objected during a notice; the case's clock stops until a reviewer resolves it."""

    event_type: ClassVar[str] = "identification.objection.filed"
    objection_id: str


class ObjectionResolved(CaseEvent):
    """A reviewer investigated an objection: ``upheld`` rejects the case, ``dismissed`` restarts the clock."""

    event_type: ClassVar[str] = "identification.objection.resolved"
    objection_id: str
    finding: str  # upheld | dismissed
    notice_ends_at: datetime | None


class HouseholdDecision(EventData):
    """A decision about a household that other services act on."""

    household_id: str
    division_code: str
    case_id: str
    policy_id: str
    members_count: int
    decided_at: datetime


class HouseholdApproved(HouseholdDecision):
    """Household approved and locked into the register (锁定入库): it may now receive targeted funds."""

    event_type: ClassVar[str] = "identification.household.approved"


class HouseholdExited(HouseholdDecision):
    """Household left poverty (脱贫) through an exit case: no new grants."""

    event_type: ClassVar[str] = "identification.household.exited"


class HouseholdReentered(HouseholdDecision):
    """Household fell back into poverty (返贫) and is locked in again."""

    event_type: ClassVar[str] = "identification.household.reentered"


class MonitoringStarted(HouseholdDecision):
    """Household approved as a monitored household at risk (防止返贫监测对象)."""

    event_type: ClassVar[str] = "identification.monitoring.started"
    risk: str


class MonitoringEnded(HouseholdDecision):
    """Household's risk is gone (风险消除): monitoring ended."""

    event_type: ClassVar[str] = "identification.monitoring.ended"


IDENTIFICATION_EVENTS: tuple[type[EventData], ...] = (
    CaseOpened,
    CaseAdvanced,
    CaseRejected,
    NoticeStarted,
    NoticeEnded,
    ObjectionFiled,
    ObjectionResolved,
    HouseholdApproved,
    HouseholdExited,
    HouseholdReentered,
    MonitoringStarted,
    MonitoringEnded,
)
