"""Identification's business gauges: cases by kind and stage (one GROUP BY per refresh)."""

from __future__ import annotations

from sqlalchemy import func, select

from identification.models.case import IdentificationCase
from jzkit import metrics
from jzkit.db import SessionFactory
from jzkit.gauges import Snapshot

_CASES = Snapshot(metrics.CASES)


async def refresh_gauges(sessions: SessionFactory) -> None:
    """Count cases per (kind, stage) into ``jz_cases``."""
    table = IdentificationCase.__table__  # type: ignore[attr-defined]
    query = select(table.c.kind, table.c.stage, func.count()).group_by(table.c.kind, table.c.stage)
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    _CASES.publish({(str(kind), str(stage)): float(n) for kind, stage, n in rows})
