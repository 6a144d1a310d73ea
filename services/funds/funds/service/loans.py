"""Loans (扶贫小额贷款) whose interest a program subsidises: the subsidy per period computed and capped."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain.amounts import interest_subsidy
from funds.domain.period import parse_period
from funds.domain.rules import InterestSubsidyRule
from funds.models.tables import loans
from funds.repository import grants as repo
from funds.repository import roster as roster_repo
from funds.service.context import Context
from funds.service.programs import load_program
from jzkit.auth import Role
from jzkit.errors import InvalidInput, NotFound
from jzkit.ids import new_id


class LoanDraft(BaseModel):
    """``POST /api/v1/loans``: a household's loan, or an enterprise's with the households it brings along."""

    model_config = ConfigDict(extra="forbid")

    borrower_kind: str = Field(pattern=r"^(household|enterprise)$")
    household_id: str | None = Field(default=None, max_length=36)
    enterprise_name: str | None = Field(default=None, max_length=200)
    division_code: str = Field(pattern=r"^\d{12}$")
    lender: str = Field(min_length=1, max_length=200)
    principal_fen: int = Field(gt=0)
    annual_rate: str = Field(pattern=r"^\d{1,2}(\.\d{1,4})?$")
    start_date: date
    end_date: date
    linked_households: list[str] = Field(default_factory=list, max_length=10000)

    @model_validator(mode="after")
    def _borrower(self) -> LoanDraft:
        if self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        if self.borrower_kind == "household" and not self.household_id:
            raise ValueError("a household loan names household_id")
        if self.borrower_kind == "enterprise" and not self.enterprise_name:
            raise ValueError("an enterprise loan names enterprise_name")
        return self


async def create_loan(session: AsyncSession, ctx: Context, draft: LoanDraft) -> str:
    """Record a loan (a household borrower must be on the roster)."""
    ctx.require(Role.FUNDS_OFFICER, Role.TOWNSHIP_REVIEWER, Role.VILLAGE_CLERK)
    ctx.require_covers(draft.division_code)
    if draft.household_id is not None and await roster_repo.get(session, draft.household_id) is None:
        raise InvalidInput(
            "unknown-household", "household not on the roster", "该户不在名册中", field="household_id"
        )
    loan_id = new_id()
    values = draft.model_dump()
    values["linked_households"] = json.dumps(draft.linked_households)
    await session.execute(
        sa.insert(loans).values(id=loan_id, created_at=ctx.now, created_by=ctx.actor, **values)
    )
    return loan_id


async def loan_doc(
    session: AsyncSession, ctx: Context, loan_id: str, program_id: str | None, period: str | None
) -> dict[str, Any]:
    """A loan; with ``program_id`` and ``period``, the interest subsidy that program pays for it."""
    row = await repo.get_loan(session, loan_id)
    if row is None or not ctx.principal.covers(row.division_code):
        raise NotFound("loan", loan_id, "贷款")
    linked = json.loads(row.linked_households)
    doc: dict[str, Any] = {
        "id": row.id,
        "borrower_kind": row.borrower_kind,
        "household_id": row.household_id,
        "enterprise_name": row.enterprise_name,
        "division_code": row.division_code,
        "lender": row.lender,
        "principal_fen": row.principal_fen,
        "annual_rate": row.annual_rate,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
        "linked_households": linked,
        "linked_locked_in": await roster_repo.count_locked_in(session, linked),
    }
    if program_id and period:
        program = await load_program(session, program_id, "program_id")
        if not isinstance(program.rule, InterestSubsidyRule):
            raise InvalidInput(
                "not-interest-subsidy", "not an interest-subsidy program", "非贴息项目", field="program_id"
            )
        span = parse_period(period)
        doc["subsidy"] = {
            "program_id": program.code,
            "period": period,
            "amount_fen": interest_subsidy(
                row.principal_fen,
                program.rule.rate_bp,
                row.start_date,
                row.end_date,
                span.start,
                span.end,
                program.rule.cap_fen,
            ),
        }
    return doc
