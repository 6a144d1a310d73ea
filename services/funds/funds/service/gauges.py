"""Funds' business gauges: money by program and state, and each program's most used budget."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from funds.models.tables import balances, budgets
from jzkit import metrics
from jzkit.db import SessionFactory
from jzkit.gauges import Snapshot

_MONEY = Snapshot(metrics.BUDGET_FEN)
_USED = Snapshot(metrics.BUDGET_USED_RATIO)
# Every fen of a budget is in exactly one of these (plus "delegated", counted in the child budget).
STATES = ("available", "reserved", "paid")


async def refresh_gauges(sessions: SessionFactory) -> None:
    """Sum each budget's balances (one GROUP BY), then total per program and year in Python."""
    sums = [func.sum(balances.c[f"{name}_fen"]) for name in ("allocated", "delegated", *STATES)]
    query = (
        select(budgets.c.id, budgets.c.program_id, budgets.c.year, *sums)
        .join(balances, balances.c.budget_id == budgets.c.id)
        .group_by(budgets.c.id, budgets.c.program_id, budgets.c.year)
    )
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    money: dict[tuple[str, ...], float] = defaultdict(float)
    used: dict[tuple[str, ...], float] = {}
    for _, program, year, allocated, delegated, *amounts in rows:
        key = (str(program), str(year))
        for state, amount in zip(STATES, amounts, strict=True):
            money[(*key, state)] += float(amount or 0)
        kept = int(allocated or 0) - int(delegated or 0)
        if kept > 0:  # a budget that delegated everything has nothing of its own to use up
            share = (int(amounts[1] or 0) + int(amounts[2] or 0)) / kept
            used[key] = max(used.get(key, 0.0), share)
    _MONEY.publish(money)
    _USED.publish(used)
