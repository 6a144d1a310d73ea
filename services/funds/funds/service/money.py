"""Moving a grant's money between budget columns, with the matching ledger transactions.

Single grants (approval, retry) go through the guarded conditional UPDATE one source at a time;
bank reports move many grants at once, so their balance changes are summed per budget and source
(one UPDATE each) while the ledger still gets one balanced transaction per grant and source.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain.budget import split_by_sources
from funds.domain.program import Program
from funds.repository import budgets as budget_repo
from funds.repository import ledger as ledger_repo
from funds.service import postings
from funds.service.context import Context
from jzkit import divisions
from jzkit.errors import Conflict

MakeTx = Callable[[postings.Scope, int], postings.Transaction]


def nearest_budget(rows: list[sa.Row[Any]], division_code: str) -> sa.Row[Any] | None:
    """The budget of the deepest division containing (or equal to) ``division_code``."""
    inside = [r for r in rows if divisions.contains(r.division_code, division_code)]
    return max(inside, key=lambda r: len(divisions.prefix(r.division_code)), default=None)


async def reserve(
    session: AsyncSession, ctx: Context, program: Program, grant: sa.Row[Any]
) -> dict[str, Any]:
    """Reserve a grant's amount per funding source; a budget that would be exceeded refuses it all."""
    budget = nearest_budget(
        await budget_repo.budgets_of(session, program.code, program.year), grant.division_code
    )
    if budget is None:
        raise Conflict("no-budget", "no budget covers this division", "该区划无预算", field="program_id")
    parts = split_by_sources(grant.amount_fen, program.funding_sources)
    for source, amount in sorted(parts.items()):
        if not amount:
            continue
        # The guard: ONE conditional UPDATE; the CHECK (available_fen >= 0) backs it up.
        if not await budget_repo.move(session, budget.id, source, amount, "available_fen", "reserved_fen"):
            raise Conflict(
                "budget-exceeded",
                f"the {source} budget has less than {amount} fen available",
                f"{source} 预算可用余额不足 {amount} 分",
                field="amount_fen",
            )
        scope = postings.Scope(program.code, program.year, budget.division_code, source)
        await postings.post(session, ctx, postings.reservation(scope, amount), grant.id)
    return {"budget_id": budget.id, "reserved": json.dumps(parts, sort_keys=True)}


async def shift(
    session: AsyncSession,
    ctx: Context,
    grants: Sequence[Any],
    take: str,
    give: str,
    make_tx: MakeTx,
    reference: str | None = None,
) -> None:
    """Move each grant's reserved parts from column ``take`` to ``give``, with their ledger transactions.

    Without ``reference`` every grant gets its own transaction per source; with one (a bank report's
    message id) the report's movement is one transaction per budget and source: a 100,000-payment
    report then writes a handful of ledger rows, and the payments table still names every grant.
    """
    totals: dict[tuple[str, str], int] = defaultdict(int)
    scopes: dict[str, tuple[str, int, str]] = {}
    heads: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for grant in grants:
        if grant.budget_id not in scopes:
            budget = await budget_repo.get_budget(session, grant.budget_id)
            assert budget is not None  # a reserved grant always names its budget
            scopes[grant.budget_id] = (budget.program_id, budget.year, budget.division_code)
        program_id, year, division = scopes[grant.budget_id]
        for source, amount in sorted(json.loads(grant.reserved).items()):
            if amount:
                totals[(grant.budget_id, source)] += int(amount)
                if reference is not None:
                    continue
                head, lines = postings.rows(
                    ctx, make_tx(postings.Scope(program_id, year, division, source), int(amount)), grant.id
                )
                heads.append(head)
                entries.extend(lines)
    for (budget_id, source), amount in sorted(totals.items()):
        if not await budget_repo.move(session, budget_id, source, amount, take, give):
            raise RuntimeError(
                f"budget {budget_id}/{source} lacks {amount} fen in {take}"
            )  # a bug, not input
        if reference is not None:
            scope = postings.Scope(*scopes[budget_id], source)
            head, lines = postings.rows(ctx, make_tx(scope, amount), reference)
            heads.append(head)
            entries.extend(lines)
    await ledger_repo.append(session, heads, entries)
