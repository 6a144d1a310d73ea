"""SQL of grants, their history and loans."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from funds.models.tables import grant_history, grants, loans


async def get(session: AsyncSession, grant_id: str) -> sa.Row[Any] | None:
    """One grant."""
    return (await session.execute(sa.select(grants).where(grants.c.id == grant_id))).first()


async def find(session: AsyncSession, program_id: str, household_id: str, period: str) -> sa.Row[Any] | None:
    """The grant of a program, household and period, if any."""
    stmt = sa.select(grants).where(
        grants.c.program_id == program_id, grants.c.household_id == household_id, grants.c.period == period
    )
    return (await session.execute(stmt)).first()


async def set_status(session: AsyncSession, grant_id: str, expected: str, values: dict[str, Any]) -> bool:
    """Change a grant only if it is still in ``expected`` (a concurrent transition loses cleanly)."""
    stmt = (
        sa.update(grants)
        .where(grants.c.id == grant_id, grants.c.status == expected)
        .values(version=grants.c.version + 1, **values)
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def add_history(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Append history rows (who, when, why)."""
    if rows:
        await session.execute(sa.insert(grant_history), rows)


async def history(session: AsyncSession, grant_id: str) -> list[sa.Row[Any]]:
    """A grant's steps, oldest first."""
    stmt = sa.select(grant_history).where(grant_history.c.grant_id == grant_id).order_by(grant_history.c.id)
    return list((await session.execute(stmt)).all())


async def list_in(
    session: AsyncSession,
    prefix: str,
    status: str | None,
    program_id: str | None,
    after: str | None,
    limit: int,
    household_id: str | None = None,
) -> list[sa.Row[Any]]:
    """Grants whose division starts with ``prefix``, by id."""
    stmt = sa.select(grants).where(grants.c.division_code.startswith(prefix))
    if household_id:
        stmt = stmt.where(grants.c.household_id == household_id)
    if status:
        stmt = stmt.where(grants.c.status == status)
    if program_id:
        stmt = stmt.where(grants.c.program_id == program_id)
    if after:
        stmt = stmt.where(grants.c.id > after)
    return list((await session.execute(stmt.order_by(grants.c.id).limit(limit))).all())


async def get_loan(session: AsyncSession, loan_id: str) -> sa.Row[Any] | None:
    """One loan."""
    return (await session.execute(sa.select(loans).where(loans.c.id == loan_id))).first()
