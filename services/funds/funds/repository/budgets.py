"""SQL of programs, budgets and their per-source balances (the guarded money rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from funds.models.tables import balances, budgets, programs


async def get_program(session: AsyncSession, program_id: str) -> sa.Row[Any] | None:
    """One stored program."""
    return (await session.execute(sa.select(programs).where(programs.c.id == program_id))).first()


async def list_programs(session: AsyncSession, after: str | None, limit: int) -> list[sa.Row[Any]]:
    """Programs by id."""
    stmt = sa.select(programs)
    if after:
        stmt = stmt.where(programs.c.id > after)
    return list((await session.execute(stmt.order_by(programs.c.id).limit(limit))).all())


async def get_budget(session: AsyncSession, budget_id: str) -> sa.Row[Any] | None:
    """One budget."""
    return (await session.execute(sa.select(budgets).where(budgets.c.id == budget_id))).first()


async def budgets_of(session: AsyncSession, program_id: str, year: int) -> list[sa.Row[Any]]:
    """Every budget of a program and year (a county holds a handful: one per division)."""
    stmt = sa.select(budgets).where(budgets.c.program_id == program_id, budgets.c.year == year)
    return list((await session.execute(stmt)).all())


async def list_budgets(
    session: AsyncSession, prefix: str, program_id: str | None, after: str | None, limit: int
) -> list[sa.Row[Any]]:
    """Budgets whose division starts with ``prefix``, by id."""
    stmt = sa.select(budgets).where(budgets.c.division_code.startswith(prefix))
    if program_id:
        stmt = stmt.where(budgets.c.program_id == program_id)
    if after:
        stmt = stmt.where(budgets.c.id > after)
    return list((await session.execute(stmt.order_by(budgets.c.id).limit(limit))).all())


async def balances_of(session: AsyncSession, budget_ids: Sequence[str]) -> dict[str, list[sa.Row[Any]]]:
    """The per-source balances of ``budget_ids``."""
    found: dict[str, list[sa.Row[Any]]] = {b: [] for b in budget_ids}
    if not budget_ids:
        return found
    stmt = sa.select(balances).where(balances.c.budget_id.in_(budget_ids)).order_by(balances.c.source)
    for row in (await session.execute(stmt)).all():
        found[row.budget_id].append(row)
    return found


async def all_balances(session: AsyncSession) -> list[sa.Row[Any]]:
    """Every balance row with its budget's scope (invariant checks, reports)."""
    stmt = sa.select(balances, budgets.c.program_id, budgets.c.division_code, budgets.c.year).join(
        budgets, budgets.c.id == balances.c.budget_id
    )
    return list((await session.execute(stmt)).all())


async def move(session: AsyncSession, budget_id: str, source: str, amount: int, take: str, give: str) -> bool:
    """Move ``amount`` from column ``take`` to ``give`` in ONE conditional UPDATE.

    ``WHERE take >= amount`` is the guard: two concurrent callers cannot both pass it, because
    the second waits for the first's row lock and then re-evaluates the condition.
    """
    take_col, give_col = balances.c[take], balances.c[give]
    stmt = (
        sa.update(balances)
        .where(balances.c.budget_id == budget_id, balances.c.source == source, take_col >= amount)
        .values({take: take_col - amount, give: give_col + amount})
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
