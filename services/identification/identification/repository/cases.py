"""Every SQL statement about cases, their history and objections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identification.models.case import CaseStep, IdentificationCase, Objection
from jzkit.db import is_postgres

NOTICE_OPEN = ("running", "paused")


async def get_case(session: AsyncSession, case_id: str, *, lock: bool = False) -> IdentificationCase | None:
    """One case; ``lock`` takes a row lock on PostgreSQL (SQLite serialises writers anyway)."""
    stmt = sa.select(IdentificationCase).where(col(IdentificationCase.id) == case_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_case_of(session: AsyncSession, household_id: str) -> IdentificationCase | None:
    """The household's open case, if any (at most one: a unique index guards it)."""
    stmt = sa.select(IdentificationCase).where(col(IdentificationCase.open_household_id) == household_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def last_locked(
    session: AsyncSession, household_id: str, kinds: tuple[str, ...]
) -> IdentificationCase | None:
    """The most recently locked case of ``kinds`` for the household (the decision in force)."""
    stmt = (
        sa.select(IdentificationCase)
        .where(
            col(IdentificationCase.household_id) == household_id,
            col(IdentificationCase.kind).in_(kinds),
            col(IdentificationCase.stage) == "locked",
        )
        .order_by(col(IdentificationCase.closed_at).desc(), col(IdentificationCase.id).desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def steps(session: AsyncSession, case_id: str) -> list[CaseStep]:
    """A case's history, oldest first."""
    stmt = sa.select(CaseStep).where(col(CaseStep.case_id) == case_id).order_by(col(CaseStep.seq))
    return list((await session.execute(stmt)).scalars())


async def next_seq(session: AsyncSession, case_id: str) -> int:
    """The sequence number of the case's next history entry."""
    stmt = sa.select(sa.func.coalesce(sa.func.max(CaseStep.seq), 0)).where(col(CaseStep.case_id) == case_id)
    return int((await session.execute(stmt)).scalar_one()) + 1


async def objections(session: AsyncSession, case_id: str, *, only_open: bool = False) -> list[Objection]:
    """A case's objections, oldest first."""
    stmt = sa.select(Objection).where(col(Objection.case_id) == case_id)
    if only_open:
        stmt = stmt.where(col(Objection.status) == "open")
    stmt = stmt.order_by(col(Objection.filed_at), col(Objection.id))
    return list((await session.execute(stmt)).scalars())


@dataclass(frozen=True)
class CaseFilter:
    """What a case list is narrowed to."""

    division_prefix: str
    stage: str | None = None
    kind: str | None = None
    household_id: str | None = None
    overdue_at: datetime | None = None  # set: only open cases past their deadline at this moment
    not_overdue_at: datetime | None = None


async def list_cases(
    session: AsyncSession, flt: CaseFilter, after: str | None, limit: int
) -> list[IdentificationCase]:
    """Cases matching ``flt`` in id (creation) order, after the cursor id."""
    c = IdentificationCase
    stmt = sa.select(c).where(col(c.division_code).startswith(flt.division_prefix, autoescape=True))
    if flt.stage:
        stmt = stmt.where(col(c.stage) == flt.stage)
    if flt.kind:
        stmt = stmt.where(col(c.kind) == flt.kind)
    if flt.household_id:
        stmt = stmt.where(col(c.household_id) == flt.household_id)
    if flt.overdue_at is not None:
        stmt = stmt.where(col(c.open_household_id).is_not(None), col(c.deadline_at) < flt.overdue_at)
    if flt.not_overdue_at is not None:
        stmt = stmt.where(
            sa.or_(
                col(c.open_household_id).is_(None),
                col(c.deadline_at).is_(None),
                col(c.deadline_at) >= flt.not_overdue_at,
            )
        )
    if after:
        stmt = stmt.where(col(c.id) > after)
    stmt = stmt.order_by(col(c.id)).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def due_notices(session: AsyncSession, now: datetime, limit: int) -> list[IdentificationCase]:
    """Cases whose running notice has ended by ``now``; on PostgreSQL locked, skipping rows others hold."""
    c = IdentificationCase
    stmt = (
        sa.select(c)
        .where(col(c.notice_state) == "running", col(c.notice_ends_at) <= now)
        .order_by(col(c.notice_ends_at), col(c.id))
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).scalars())


async def public_notices(
    session: AsyncSession, division_prefix: str, after: tuple[str, str] | None, limit: int
) -> list[IdentificationCase]:
    """Cases under notice (running or stopped by an objection), by village then id."""
    c = IdentificationCase
    stmt = sa.select(c).where(
        col(c.notice_state).in_(NOTICE_OPEN),
        col(c.division_code).startswith(division_prefix, autoescape=True),
    )
    if after is not None:
        division, case_id = after
        stmt = stmt.where(
            sa.or_(
                col(c.division_code) > division,
                sa.and_(col(c.division_code) == division, col(c.id) > case_id),
            )
        )
    stmt = stmt.order_by(col(c.division_code), col(c.id)).limit(limit)
    return list((await session.execute(stmt)).scalars())
