"""SQL of the double-entry ledger: transactions and their entries, appended only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from funds.models.tables import ledger_entries, ledger_transactions


async def append(
    session: AsyncSession, transactions: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> None:
    """Insert transactions and their entries (executemany)."""
    if transactions:
        await session.execute(sa.insert(ledger_transactions), transactions)
    if entries:
        await session.execute(sa.insert(ledger_entries), entries)


async def account_totals(session: AsyncSession, prefix: str | None = None) -> list[sa.Row[Any]]:
    """Debits and credits summed per account (optionally accounts starting with ``prefix``)."""
    stmt = sa.select(
        ledger_entries.c.account,
        sa.func.sum(ledger_entries.c.debit_fen).label("debit_fen"),
        sa.func.sum(ledger_entries.c.credit_fen).label("credit_fen"),
    ).group_by(ledger_entries.c.account)
    if prefix:
        stmt = stmt.where(ledger_entries.c.account.startswith(prefix))
    result = await session.execute(stmt.order_by(ledger_entries.c.account))
    return cast(list[sa.Row[Any]], list(result.all()))


async def entries(
    session: AsyncSession, account: str | None, after: int | None, limit: int
) -> list[sa.Row[Any]]:
    """Entries (with their transaction's kind, reference and time), oldest first."""
    stmt = sa.select(
        ledger_entries,
        ledger_transactions.c.kind,
        ledger_transactions.c.reference,
        ledger_transactions.c.at,
        ledger_transactions.c.actor,
    ).join(ledger_transactions, ledger_transactions.c.id == ledger_entries.c.transaction_id)
    if account:
        stmt = stmt.where(ledger_entries.c.account == account)
    if after is not None:
        stmt = stmt.where(ledger_entries.c.id > after)
    return list((await session.execute(stmt.order_by(ledger_entries.c.id).limit(limit))).all())


async def unbalanced_transactions(session: AsyncSession) -> list[str]:
    """Ids of transactions whose debits and credits differ (must always be empty)."""
    stmt = (
        sa.select(ledger_entries.c.transaction_id)
        .group_by(ledger_entries.c.transaction_id)
        .having(sa.func.sum(ledger_entries.c.debit_fen) != sa.func.sum(ledger_entries.c.credit_fen))
    )
    return [r[0] for r in (await session.execute(stmt)).all()]


def transaction_row(tx_id: str, kind: str, reference: str, at: datetime, actor: str) -> dict[str, Any]:
    """Column values of one ledger transaction."""
    return {"id": tx_id, "kind": kind, "reference": reference, "at": at, "actor": actor}
