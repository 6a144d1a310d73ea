"""Reading the ledger, checking its invariants, and the public fund-use report (资金公开)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain.ledger import check_invariants as domain_invariants
from funds.domain.ledger import normal_balance
from funds.models.tables import grants, payments, programs
from funds.repository import budgets as budget_repo
from funds.repository import ledger as repo
from funds.service.context import Context
from jzkit.auth import Role

READERS = (Role.FUNDS_OFFICER, Role.AUDITOR, Role.COUNTY_APPROVER, Role.TOWNSHIP_REVIEWER)


async def accounts(session: AsyncSession, ctx: Context) -> list[dict[str, Any]]:
    """Every account with its debits, credits and normal balance."""
    ctx.require(*READERS)
    return [
        {
            "account": r.account,
            "debit_fen": int(r.debit_fen),
            "credit_fen": int(r.credit_fen),
            "balance_fen": normal_balance(r.account, int(r.debit_fen), int(r.credit_fen)),
        }
        for r in await repo.account_totals(session)
        if ctx.principal.covers(r.account.split(":")[2])
    ]


async def entries(
    session: AsyncSession, ctx: Context, account: str | None, after: int | None, limit: int
) -> list[dict[str, Any]]:
    """Entries, oldest first (optionally of one account)."""
    ctx.require(*READERS)
    return [
        {
            "id": r.id,
            "transaction_id": r.transaction_id,
            "kind": r.kind,
            "reference": r.reference,
            "account": r.account,
            "debit_fen": r.debit_fen,
            "credit_fen": r.credit_fen,
            "at": r.at.isoformat(),
            "actor": r.actor,
        }
        for r in await repo.entries(session, account, after, limit)
    ]


async def confirmed_paid(session: AsyncSession) -> int:
    """What the bank confirmed and kept: the sum of payments now paid."""
    stmt = sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_fen), 0)).where(
        payments.c.status == "paid"
    )
    return int((await session.execute(stmt)).scalar_one())


async def invariant_problems(session: AsyncSession) -> list[str]:
    """Every broken money invariant: balance, buckets, balance rows versus the ledger, the bank's total."""
    problems = [f"transaction {t} does not balance" for t in await repo.unbalanced_transactions(session)]
    ledger_balances = {
        r.account: normal_balance(r.account, int(r.debit_fen), int(r.credit_fen))
        for r in await repo.account_totals(session)
    }
    problems += domain_invariants(ledger_balances, await confirmed_paid(session))
    for b in await budget_repo.all_balances(session):
        for bucket in ("allocated", "available", "reserved", "paid", "delegated"):
            key = f"budget:{b.source}:{b.division_code}:{b.program_id}:{b.year}:{bucket}"
            if ledger_balances.get(key, 0) != getattr(b, f"{bucket}_fen"):
                problems.append(
                    f"{key}: balance row {getattr(b, f'{bucket}_fen')} "
                    f"!= ledger {ledger_balances.get(key, 0)}"
                )
    return problems


async def fund_use(session: AsyncSession, prefix: str) -> list[dict[str, Any]]:
    """Per village, program and period: households paid and the amount (no names, no card numbers)."""
    stmt = (
        sa.select(
            payments.c.division_code,
            grants.c.program_id,
            programs.c.name,
            grants.c.period,
            payments.c.status,
            sa.func.count(sa.distinct(payments.c.household_id)),
            sa.func.sum(payments.c.amount_fen),
        )
        .join(grants, grants.c.id == payments.c.grant_id)
        # Outer: money paid is reported even if its program row is missing (program_id has no foreign key).
        .outerjoin(programs, programs.c.id == grants.c.program_id)
        .where(payments.c.division_code.startswith(prefix), payments.c.status.in_(("paid", "returned")))
        .group_by(
            payments.c.division_code, grants.c.program_id, programs.c.name, grants.c.period, payments.c.status
        )
        .order_by(payments.c.division_code, grants.c.program_id, grants.c.period)
    )
    report: dict[tuple[str, str, str], dict[str, Any]] = {}
    rows = (await session.execute(stmt)).all()
    for division, program, program_name, period, status, households, total in rows:
        line = report.setdefault(
            (division, program, period),
            {
                "division_code": division,
                "program_id": program,
                "program_name": program_name,
                "period": period,
                "households_paid": 0,
                "paid_fen": 0,
                "returned_fen": 0,
            },
        )
        if status == "paid":
            line["households_paid"], line["paid_fen"] = int(households), int(total)
        else:
            line["returned_fen"] = int(total)
    return list(report.values())
