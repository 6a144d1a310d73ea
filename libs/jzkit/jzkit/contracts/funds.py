"""Events the funds service publishes: grants, budgets, batches and what the bank reported."""

from __future__ import annotations

from typing import ClassVar

from jzkit.contracts.envelope import EventData


class GrantEvent(EventData):
    """Fields every grant event carries, so a consumer never has to look the grant up."""

    grant_id: str
    household_id: str
    division_code: str
    program_id: str
    period: str
    amount_fen: int


class GrantApplied(GrantEvent):
    """A grant was applied for (申请) with the amount the program's rule computed."""

    event_type: ClassVar[str] = "funds.grant.applied"


class GrantVerified(GrantEvent):
    """The work team and village officials verified an application (核实)."""

    event_type: ClassVar[str] = "funds.grant.verified"


class GrantNoticeStarted(GrantEvent):
    """The grant's public notice (公示) began; it may be approved once ``notice_ends_at`` has passed."""

    event_type: ClassVar[str] = "funds.grant.notice_started"
    notice_ends_at: str


class GrantApproved(GrantEvent):
    """The township approved a grant after its notice; its amount is reserved in the budget."""

    event_type: ClassVar[str] = "funds.grant.approved"


class GrantRejected(GrantEvent):
    """A grant was rejected during its review; the reason is the envelope's ``reason``."""

    event_type: ClassVar[str] = "funds.grant.rejected"
    stage: str


class GrantCancelled(GrantEvent):
    """A grant was cancelled (e.g. the household exited); any reservation went back to the budget."""

    event_type: ClassVar[str] = "funds.grant.cancelled"
    stage: str


class GrantRetried(GrantEvent):
    """A failed or returned grant was approved again for a later batch; its money reserved again."""

    event_type: ClassVar[str] = "funds.grant.retried"


class BudgetAllocated(EventData):
    """Money was allocated to a program's budget for a division and year, per funding source."""

    event_type: ClassVar[str] = "funds.budget.allocated"
    budget_id: str
    program_id: str
    division_code: str
    year: int
    parent_budget_id: str | None
    amounts_fen: dict[str, int]


class BatchCreated(EventData):
    """A disbursement batch was built: its control totals match the grants it froze."""

    event_type: ClassVar[str] = "funds.batch.created"
    batch_id: str
    program_id: str
    period: str
    division_code: str
    payments: int
    total_fen: int


class PaymentEvent(EventData):
    """Fields every payment event carries."""

    payment_id: str
    batch_id: str
    grant_id: str
    household_id: str
    division_code: str
    program_id: str
    period: str
    amount_fen: int


class Disbursed(PaymentEvent):
    """The bank accepted a payment into the household's one card (一卡一户)."""

    event_type: ClassVar[str] = "funds.disbursed"


class DisbursementFailed(PaymentEvent):
    """The bank rejected a payment; ``bank_reason`` is the bank's status reason code."""

    event_type: ClassVar[str] = "funds.disbursement.failed"
    bank_reason: str


class PaymentReturned(PaymentEvent):
    """A paid amount came back (e.g. closed account); the household must update its card."""

    event_type: ClassVar[str] = "funds.payment.returned"
    bank_reason: str


FUNDS_EVENTS: tuple[type[EventData], ...] = (
    GrantApplied,
    GrantVerified,
    GrantNoticeStarted,
    GrantApproved,
    GrantRejected,
    GrantCancelled,
    GrantRetried,
    BudgetAllocated,
    BatchCreated,
    Disbursed,
    DisbursementFailed,
    PaymentReturned,
)
