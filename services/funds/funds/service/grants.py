"""Grant applications (申请) and their approval; approval reserves the money in ONE guarded UPDATE."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain.amounts import check_requested, compute_amount, linked_households
from funds.domain.eligibility import check_eligibility
from funds.domain.grant import APPLY_ROLES, HOLDS_RESERVATION, GrantAction, GrantState
from funds.domain.grant import transition as grant_transition
from funds.domain.program import Program
from funds.events.publish import emit
from funds.models.tables import grants
from funds.repository import grants as repo
from funds.repository import roster as roster_repo
from funds.service import money, postings
from funds.service.context import Context
from funds.service.programs import load_program
from funds.service.views import Facts, grant_doc
from jzkit.contracts.envelope import EventData
from jzkit.contracts.funds import (
    GrantApplied,
    GrantApproved,
    GrantCancelled,
    GrantNoticeStarted,
    GrantRejected,
    GrantRetried,
    GrantVerified,
)
from jzkit.errors import Conflict, InvalidInput, NotFound
from jzkit.ids import new_id

BANK_ACTIONS = frozenset({GrantAction.BATCH, GrantAction.SETTLE, GrantAction.FAIL, GrantAction.RETURN})
_EVENTS: dict[str, type[EventData]] = {
    GrantAction.VERIFY: GrantVerified,
    GrantAction.PUBLISH: GrantNoticeStarted,
    GrantAction.APPROVE: GrantApproved,
    GrantAction.REJECT: GrantRejected,
    GrantAction.CANCEL: GrantCancelled,
    GrantAction.RETRY: GrantRetried,
}


class GrantDraft(BaseModel):
    """``POST /api/v1/grants``."""

    model_config = ConfigDict(extra="forbid")

    program_id: str = Field(min_length=1, max_length=64)
    household_id: str = Field(min_length=1, max_length=36)
    period: str = Field(min_length=4, max_length=16)
    amount_fen: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = Field(default=None, max_length=500)


class TransitionDraft(BaseModel):
    """``POST /api/v1/grants/{id}/transitions``: ``{action, reason}``."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(min_length=1, max_length=24)
    reason: str | None = Field(default=None, max_length=500)


async def _applicant(
    session: AsyncSession, ctx: Context, program: Program, draft: GrantDraft
) -> tuple[str, Facts | None, dict[str, Any]]:
    """The applicant's division, facts and the details the rule reads (a loan's fields merged in)."""
    details = dict(draft.details)
    loan_id = details.pop("loan_id", None)
    if loan_id is not None:
        loan = await repo.get_loan(session, str(loan_id))
        if loan is None:
            raise InvalidInput(
                "unknown-loan", f"no loan {loan_id}", f"无贷款 {loan_id}", field="details.loan_id"
            )
        details.update(loan_details(loan))
    if program.eligibility.applicant == "enterprise":
        loan = await repo.get_loan(session, draft.household_id)
        if loan is None or loan.borrower_kind != "enterprise":
            raise InvalidInput(
                "unknown-enterprise",
                "an enterprise applies with its loan's id",
                "企业须以其贷款编号申请",
                field="household_id",
            )
        linked = linked_households(program, details)
        locked = await roster_repo.count_locked_in(session, linked)
        check_eligibility(program, applicant="enterprise", locked_in=True, linked_locked_in_households=locked)
        return str(loan.division_code), None, details
    row = await roster_repo.get(session, draft.household_id)
    check_eligibility(program, applicant="household", locked_in=bool(row is not None and row.locked_in))
    assert row is not None  # check_eligibility refused a household off the roster
    return str(row.division_code), Facts.of(row), details


def loan_details(loan: sa.Row[Any]) -> dict[str, Any]:
    """A stored loan as the ``details`` an interest-subsidy rule reads."""
    return {
        "lender": loan.lender,
        "principal_fen": loan.principal_fen,
        "start_date": loan.start_date.isoformat(),
        "end_date": loan.end_date.isoformat(),
        "linked_households": json.loads(loan.linked_households),
    }


async def apply(session: AsyncSession, ctx: Context, draft: GrantDraft) -> dict[str, Any]:
    """Record an application with the amount the program's rule gives (a higher request is refused)."""
    ctx.require(*APPLY_ROLES)
    program = await load_program(session, draft.program_id)
    division_code, facts, details = await _applicant(session, ctx, program, draft)
    ctx.require_covers(division_code, "household_id")
    amount = compute_amount(program, facts, details, draft.period)
    granted = check_requested(program, amount, draft.amount_fen)
    if await repo.find(session, program.code, draft.household_id, draft.period) is not None:
        raise _duplicate()
    grant_id = new_id()
    values = {
        "id": grant_id,
        "program_id": program.code,
        "household_id": draft.household_id,
        "division_code": division_code,
        "period": draft.period,
        "amount_fen": granted,
        "breakdown": amount.model_dump_json(),
        "details": json.dumps(draft.details, ensure_ascii=False),
        "status": GrantState.APPLIED.value,
        "version": 1,
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }
    try:
        await session.execute(sa.insert(grants).values(**values))
    except IntegrityError:
        # UNIQUE (program_id, household_id, period): the database, not the check above, has the last word.
        raise _duplicate() from None
    await repo.add_history(
        session, [_step(ctx, grant_id, "apply", None, GrantState.APPLIED.value, draft.reason)]
    )
    emit(session, GrantApplied(**_event_fields(values)), f"grant/{grant_id}", ctx.actor, draft.reason)
    return await load_doc(session, ctx, grant_id)


def _duplicate() -> Conflict:
    return Conflict(
        "grant-exists",
        "this household already has a grant of this program for this period",
        "该户本周期已有此项目的补助",
        field="household_id",
    )


def _step(
    ctx: Context, grant_id: str, action: str, old: str | None, new: str, reason: str | None
) -> dict[str, Any]:
    return {
        "grant_id": grant_id,
        "action": action,
        "from_status": old,
        "to_status": new,
        "actor": ctx.actor,
        "reason": reason,
        "at": ctx.now,
    }


def _event_fields(row: Any) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else row._mapping.get
    return {k: get(k) for k in ("household_id", "division_code", "program_id", "period", "amount_fen")} | {
        "grant_id": get("id")
    }


async def load_visible(session: AsyncSession, ctx: Context, grant_id: str) -> sa.Row[Any]:
    """The grant, or 404 when absent or outside the caller's jurisdiction."""
    row = await repo.get(session, grant_id)
    if row is None or not ctx.principal.covers(row.division_code):
        raise NotFound("grant", grant_id, "补助")
    return row


async def load_doc(session: AsyncSession, ctx: Context, grant_id: str) -> dict[str, Any]:
    """The grant as JSON with its history."""
    row = await load_visible(session, ctx, grant_id)
    return grant_doc(row, await repo.history(session, grant_id))


async def transition(
    session: AsyncSession, ctx: Context, grant_id: str, draft: TransitionDraft
) -> dict[str, Any]:
    """Verify, publish, approve, reject, cancel or retry a grant (bank steps come from reports)."""
    row = await load_visible(session, ctx, grant_id)
    if draft.action in BANK_ACTIONS:
        raise Conflict(
            "bank-action",
            "batch, settle, fail and return follow batches and bank reports",
            "该操作由批次和银行回单驱动",
            field="action",
        )
    program = await load_program(session, row.program_id)
    ends_at = ctx.now + program.notice if draft.action == GrantAction.PUBLISH else row.notice_ends_at
    target, _events = grant_transition(row.status, draft.action, ctx.principal.role, ctx.now, ends_at)
    values: dict[str, Any] = {"status": target.value, "updated_at": ctx.now}
    if draft.action == GrantAction.PUBLISH:
        values["notice_ends_at"] = ends_at
    if target is GrantState.APPROVED:
        values.update(await _approve(session, ctx, program, row))
    if draft.action == GrantAction.CANCEL and GrantState(row.status) in HOLDS_RESERVATION:
        await money.shift(session, ctx, [row], "reserved_fen", "available_fen", postings.release)
    if not await repo.set_status(session, grant_id, row.status, values):
        raise Conflict(
            "grant-changed",
            "the grant changed meanwhile; reload it",
            "补助已被他人更改,请刷新",
            field="action",
        )
    await repo.add_history(
        session, [_step(ctx, grant_id, draft.action, row.status, target.value, draft.reason)]
    )
    fields = _event_fields(row)
    event = _EVENTS[draft.action]
    extra: dict[str, Any] = (
        {"stage": row.status} if draft.action in (GrantAction.REJECT, GrantAction.CANCEL) else {}
    )
    if draft.action == GrantAction.PUBLISH:
        extra = {"notice_ends_at": values["notice_ends_at"].isoformat()}
    emit(session, event(**fields, **extra), f"grant/{grant_id}", ctx.actor, draft.reason)
    return await load_doc(session, ctx, grant_id)


async def _approve(session: AsyncSession, ctx: Context, program: Program, row: sa.Row[Any]) -> dict[str, Any]:
    """Check the household is still locked in, freeze what the approval rests on, reserve the money."""
    frozen: dict[str, Any] = {"amount_fen": row.amount_fen, "breakdown": json.loads(row.breakdown)}
    if program.eligibility.applicant == "household":
        roster_row = await roster_repo.get(session, row.household_id, lock=True)
        check_eligibility(program, applicant="household", locked_in=bool(roster_row and roster_row.locked_in))
        assert roster_row is not None  # check_eligibility refused a household off the roster
        frozen["facts_version"] = roster_row.facts_version
        frozen["flags"] = Facts.of(roster_row).flags
    values = await money.reserve(session, ctx, program, row)
    return values | {"frozen": json.dumps(frozen, ensure_ascii=False, sort_keys=True)}
