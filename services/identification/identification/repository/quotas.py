"""SQL of people quotas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from identification.models.quotas import quotas as Q

Row = sa.Row[tuple[object, ...]]


async def get(session: AsyncSession, division_code: str, year: int, lock: bool = False) -> Row | None:
    """The quota of one division and year (row-locked on PostgreSQL when ``lock``)."""
    stmt = sa.select(Q).where(Q.c.division_code == division_code, Q.c.year == year)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).one_or_none()


async def under(session: AsyncSession, prefix: str, year: int | None) -> Sequence[Row]:
    """Quotas of divisions whose code starts with ``prefix`` (optionally one year), by id."""
    stmt = sa.select(Q).where(Q.c.division_code.startswith(prefix, autoescape=True)).order_by(Q.c.id)
    if year is not None:
        stmt = stmt.where(Q.c.year == year)
    return (await session.execute(stmt)).all()


async def upsert(
    session: AsyncSession,
    *,
    quota_id: str,
    division_code: str,
    year: int,
    people: int,
    now: datetime,
    actor: str,
    reason: str,
) -> None:
    """Insert the quota, or set its people and bump its version."""
    found = await get(session, division_code, year)
    audit = {"updated_at": now, "updated_by": actor, "reason": reason}
    if found is None:
        values = {
            "id": quota_id,
            "division_code": division_code,
            "year": year,
            "people": people,
            "version": 1,
        }
        await session.execute(sa.insert(Q).values(**values, **audit))
        return
    stmt = sa.update(Q).where(Q.c.id == found._mapping["id"])
    await session.execute(stmt.values(people=people, version=Q.c.version + 1, **audit))


async def village_quotas(session: AsyncSession, prefix: str, year: int) -> dict[str, int]:
    """People quota by division code under ``prefix`` for ``year``."""
    rows = await under(session, prefix, year)
    return {str(r._mapping["division_code"]): int(str(r._mapping["people"])) for r in rows}
