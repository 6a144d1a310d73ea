"""Budgets per program, division and year and funding source, split top-down (never above the parent)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from funds.events.publish import emit
from funds.models.tables import balances, budgets
from funds.repository import budgets as repo
from funds.service import postings
from funds.service.context import Context
from funds.service.programs import MANAGERS, load_program
from jzkit import divisions
from jzkit.contracts.funds import BudgetAllocated
from jzkit.errors import Conflict, InvalidInput, NotFound
from jzkit.ids import new_id


class BudgetDraft(BaseModel):
    """``POST /api/v1/budgets``: money for one program, division and year, per funding source."""

    model_config = ConfigDict(extra="forbid")

    program_id: str = Field(min_length=1, max_length=64)
    division_code: str = Field(pattern=r"^\d{12}$")
    year: int = Field(ge=2000, le=2100)
    amounts_fen: dict[str, int] = Field(min_length=1)
    reason: str | None = Field(default=None, max_length=500)


def nearest_ancestor(rows: list[sa.Row[Any]], division_code: str) -> sa.Row[Any] | None:
    """The budget of the deepest division strictly containing ``division_code``."""
    best: sa.Row[Any] | None = None
    for row in rows:
        if row.division_code != division_code and divisions.contains(row.division_code, division_code):
            if best is None or len(divisions.prefix(row.division_code)) > len(
                divisions.prefix(best.division_code)
            ):
                best = row
    return best


async def create_budget(session: AsyncSession, ctx: Context, draft: BudgetDraft) -> str:
    """Allocate a budget; below an existing one, the money moves out of the parent's available balance."""
    ctx.require(*MANAGERS)
    ctx.require_covers(draft.division_code)
    if not divisions.is_code(draft.division_code):
        raise InvalidInput("invalid-division", "not a division code", "区划代码无效", field="division_code")
    program = await load_program(session, draft.program_id)
    if draft.year != program.year:
        raise InvalidInput(
            "budget-year-mismatch",
            f"program {program.code} runs in {program.year}",
            f"资金项目 {program.code} 的年度为 {program.year}",
            field="year",
        )
    sources = {s.source for s in program.funding_sources}
    for source, amount in draft.amounts_fen.items():
        if source not in sources:
            raise InvalidInput(
                "unknown-funding-source",
                f"{source} is not a funding source of {program.code}",
                f"{source} 不是该项目的资金来源",
                field=f"amounts_fen.{source}",
            )
        if not isinstance(amount, int) or amount <= 0:
            raise InvalidInput(
                "invalid-amount",
                "amounts must be positive fen",
                "金额须为正整数(分)",
                field=f"amounts_fen.{source}",
            )
    parent = nearest_ancestor(await repo.budgets_of(session, program.code, draft.year), draft.division_code)
    budget_id = new_id()
    try:
        await session.execute(
            sa.insert(budgets).values(
                id=budget_id,
                program_id=program.code,
                division_code=draft.division_code,
                year=draft.year,
                parent_id=parent.id if parent else None,
                created_at=ctx.now,
                created_by=ctx.actor,
            )
        )
    except IntegrityError:
        raise Conflict(
            "budget-exists",
            "this program already has a budget for that division and year",
            "该项目在此区划和年度已有预算",
            field="division_code",
        ) from None
    rows = [
        {
            "budget_id": budget_id,
            "source": s,
            "allocated_fen": draft.amounts_fen.get(s, 0),
            "delegated_fen": 0,
            "available_fen": draft.amounts_fen.get(s, 0),
            "reserved_fen": 0,
            "paid_fen": 0,
        }
        for s in sorted(sources)
    ]
    await session.execute(sa.insert(balances), rows)
    for source, amount in sorted(draft.amounts_fen.items()):
        # The conditional UPDATE locks the parent's row: concurrent splits cannot both pass the check.
        if parent is not None and not await repo.move(
            session, parent.id, source, amount, "available_fen", "delegated_fen"
        ):
            raise Conflict(
                "budget-exceeds-parent",
                f"{source}: the parent budget has less than {amount} fen available",
                f"{source}:上级预算可用余额不足 {amount} 分",
                field=f"amounts_fen.{source}",
            )
        scope = postings.Scope(program.code, draft.year, draft.division_code, source)
        parent_scope = (
            postings.Scope(program.code, draft.year, parent.division_code, source) if parent else None
        )
        await postings.post(session, ctx, postings.allocation(scope, parent_scope, amount), budget_id)
    emit(
        session,
        BudgetAllocated(
            budget_id=budget_id,
            program_id=program.code,
            division_code=draft.division_code,
            year=draft.year,
            parent_budget_id=parent.id if parent else None,
            amounts_fen=dict(draft.amounts_fen),
        ),
        f"budget/{budget_id}",
        ctx.actor,
        draft.reason,
    )
    return budget_id


async def budget_out(session: AsyncSession, ctx: Context, budget_id: str) -> dict[str, Any]:
    """One budget with its balances (404 outside the caller's jurisdiction)."""
    row = await repo.get_budget(session, budget_id)
    if row is None or not ctx.principal.covers(row.division_code):
        raise NotFound("budget", budget_id, "预算")
    return budget_doc(row, (await repo.balances_of(session, [budget_id]))[budget_id])


def budget_doc(row: sa.Row[Any], rows: list[sa.Row[Any]]) -> dict[str, Any]:
    """A budget as JSON."""
    return {
        "id": row.id,
        "program_id": row.program_id,
        "division_code": row.division_code,
        "year": row.year,
        "parent_id": row.parent_id,
        "balances": [
            {
                k: getattr(b, k)
                for k in (
                    "source",
                    "allocated_fen",
                    "delegated_fen",
                    "available_fen",
                    "reserved_fen",
                    "paid_fen",
                )
            }
            for b in rows
        ],
    }
