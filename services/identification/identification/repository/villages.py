"""SQL of village facts, area totals from the projection, and spot-check draws."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.villages import AreaTotals, VillageFacts
from identification.models.facts import household_facts as T
from identification.models.quotas import village_facts as V
from identification.models.reviews import spot_checks as S


async def area_totals(session: AsyncSession, prefix: str) -> AreaTotals:
    """Population, poor (locked-in) people and summed incomes of households under ``prefix``."""
    poor = sa.case((T.c.decision_status == "poor", T.c.members_count), else_=0)
    stmt = sa.select(
        sa.func.coalesce(sa.func.sum(T.c.members_count), 0),
        sa.func.coalesce(sa.func.sum(poor), 0),
        sa.func.coalesce(sa.func.sum(T.c.annual_net_income_fen), 0),
    ).where(T.c.division_code.startswith(prefix, autoescape=True))
    population, poor_people, income = (await session.execute(stmt)).one()
    return AreaTotals(int(population), int(poor_people), int(income))


async def latest_facts(session: AsyncSession, village_code: str) -> tuple[int, VillageFacts] | None:
    """(version, facts) of the newest village facts, or None."""
    stmt = sa.select(V).where(V.c.village_code == village_code).order_by(V.c.version.desc()).limit(1)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    m = row._mapping
    return int(m["version"]), VillageFacts(
        collective_income_fen=int(m["collective_income_fen"]),
        model_village=bool(m["model_village"]),
        province_incidence_permyriad=m["province_incidence_permyriad"],
        province_per_capita_income_fen=m["province_per_capita_income_fen"],
    )


async def add_facts(
    session: AsyncSession,
    village_code: str,
    version: int,
    facts: VillageFacts,
    now: datetime,
    actor: str,
    reason: str,
) -> None:
    """Append a version of the village facts (never updated in place)."""
    await session.execute(
        sa.insert(V).values(
            village_code=village_code,
            version=version,
            collective_income_fen=facts.collective_income_fen,
            model_village=facts.model_village,
            province_incidence_permyriad=facts.province_incidence_permyriad,
            province_per_capita_income_fen=facts.province_per_capita_income_fen,
            updated_at=now,
            updated_by=actor,
            reason=reason,
        )
    )


async def households_by_division(session: AsyncSession, prefix: str) -> list[tuple[str, str]]:
    """(household_id, division_code) of every household under ``prefix``, by id."""
    stmt = (
        sa.select(T.c.household_id, T.c.division_code)
        .where(T.c.division_code.startswith(prefix, autoescape=True))
        .order_by(T.c.household_id)
    )
    return [(str(h), str(d)) for h, d in (await session.execute(stmt)).all()]


async def add_spot_check(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record a spot-check draw."""
    await session.execute(sa.insert(S).values(**values))
