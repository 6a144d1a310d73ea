"""SQL of stored policies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from identification.models.policies import policies as P


async def next_version(session: AsyncSession, name: str) -> int:
    """One more than the newest version of ``name`` (1 for a new name)."""
    found = (await session.execute(sa.select(sa.func.max(P.c.version)).where(P.c.name == name))).scalar()
    return int(found or 0) + 1


async def insert(
    session: AsyncSession,
    *,
    policy_id: str,
    name: str,
    version: int,
    year: int,
    division_code: str,
    document: str,
    now: datetime,
    actor: str,
    reason: str,
) -> None:
    """Store one immutable policy row."""
    await session.execute(
        sa.insert(P).values(
            id=policy_id,
            name=name,
            version=version,
            year=year,
            division_code=division_code,
            document=document,
            created_at=now,
            created_by=actor,
            reason=reason,
        )
    )


async def by_id(session: AsyncSession, policy_id: str) -> sa.Row[tuple[object, ...]] | None:
    """The row of ``policy_id``."""
    return (await session.execute(sa.select(P).where(P.c.id == policy_id))).one_or_none()


async def by_name(session: AsyncSession, name: str) -> sa.Row[tuple[object, ...]] | None:
    """The newest version of ``name``."""
    stmt = sa.select(P).where(P.c.name == name).order_by(P.c.version.desc()).limit(1)
    return (await session.execute(stmt)).one_or_none()


async def in_scopes(
    session: AsyncSession, scopes: Sequence[str], year: int
) -> Sequence[sa.Row[tuple[object, ...]]]:
    """Policies scoped to one of ``scopes`` for ``year`` or an earlier year."""
    stmt = sa.select(P).where(P.c.division_code.in_(list(scopes)), P.c.year <= year)
    return (await session.execute(stmt)).all()


async def page(session: AsyncSession, after: str | None, limit: int) -> Sequence[sa.Row[tuple[object, ...]]]:
    """Policies in id order after the cursor."""
    stmt = sa.select(P).order_by(P.c.id).limit(limit)
    if after is not None:
        stmt = stmt.where(P.c.id > after)
    return (await session.execute(stmt)).all()
