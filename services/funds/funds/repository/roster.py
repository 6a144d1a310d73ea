"""SQL of the roster: locked-in households and their facts (一卡一户 included)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from funds.models.tables import roster
from jzkit.db import is_postgres


async def get(session: AsyncSession, household_id: str, lock: bool = False) -> sa.Row[Any] | None:
    """One roster row (``lock``: FOR UPDATE on PostgreSQL)."""
    stmt = sa.select(roster).where(roster.c.household_id == household_id)
    if lock and is_postgres(session):
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).first()


async def insert_or_ignore(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a roster row unless the household is already there (concurrent first events)."""
    dialect_insert = pg_insert if is_postgres(session) else sqlite_insert
    await session.execute(dialect_insert(roster).values(**values).on_conflict_do_nothing())


async def update(session: AsyncSession, household_id: str, values: dict[str, Any]) -> None:
    """Set ``values`` on one roster row."""
    await session.execute(sa.update(roster).where(roster.c.household_id == household_id).values(**values))


async def list_in(session: AsyncSession, prefix: str, after: str | None, limit: int) -> list[sa.Row[Any]]:
    """Roster rows whose division starts with ``prefix``, by household id."""
    stmt = sa.select(roster).where(roster.c.division_code.startswith(prefix))
    if after:
        stmt = stmt.where(roster.c.household_id > after)
    return list((await session.execute(stmt.order_by(roster.c.household_id).limit(limit))).all())


async def count_locked_in(session: AsyncSession, household_ids: list[str]) -> int:
    """How many of ``household_ids`` are locked in now."""
    if not household_ids:
        return 0
    stmt = sa.select(sa.func.count()).where(
        roster.c.household_id.in_(household_ids), roster.c.locked_in.is_(True)
    )
    return int((await session.execute(stmt)).scalar_one())
