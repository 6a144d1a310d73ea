"""The registry's business gauges: households by status (one GROUP BY per refresh)."""

from __future__ import annotations

from sqlalchemy import func, select

from jzkit import metrics
from jzkit.db import SessionFactory
from jzkit.gauges import Snapshot
from registry.models import Household

_HOUSEHOLDS = Snapshot(metrics.HOUSEHOLDS)


async def refresh_gauges(sessions: SessionFactory) -> None:
    """Count households per status into ``jz_households``."""
    status = Household.__table__.c.status  # type: ignore[attr-defined]
    query = select(status, func.count()).group_by(status)
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    _HOUSEHOLDS.publish({(str(s),): float(n) for s, n in rows})
