"""Posting the domain's balanced ledger transactions, one funding source at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain import ledger
from funds.domain.program import FundingShare
from funds.repository import ledger as repo
from funds.service.context import Context
from jzkit.ids import new_id

Transaction = ledger.LedgerTransaction


@dataclass(frozen=True)
class Scope:
    """Where money sits: one program's budget of one division and year, one funding source."""

    program_id: str
    year: int
    division_code: str
    source: str

    def budget(self) -> ledger.Budget:
        """The domain's budget with this one source at 100%: the amount given is that source's part."""
        return ledger.Budget(
            self.program_id, self.year, self.division_code, (FundingShare(source=self.source, percent=100),)
        )


def allocation(scope: Scope, parent: Scope | None, amount: int) -> Transaction:
    """Money into a budget: from its source, or passed down out of the parent's available balance."""
    return ledger.allocate(scope.budget(), amount, parent.division_code if parent else None)


def reservation(scope: Scope, amount: int) -> Transaction:
    """Available → reserved (a grant approved)."""
    return ledger.reserve(scope.budget(), amount)


def release(scope: Scope, amount: int) -> Transaction:
    """Reserved → available (payment failed, grant cancelled)."""
    return ledger.release(scope.budget(), amount)


def payment(scope: Scope, amount: int) -> Transaction:
    """Reserved → paid (the bank accepted)."""
    return ledger.pay(scope.budget(), amount)


def returned(scope: Scope, amount: int) -> Transaction:
    """Paid → available (the bank returned a paid amount)."""
    return ledger.return_payment(scope.budget(), amount)


def rows(ctx: Context, tx: Transaction, reference: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Column values of one transaction and its entries (the domain already checked it balances)."""
    tx_id = new_id()
    entries = [
        {"transaction_id": tx_id, "account": x.account, "debit_fen": x.debit_fen, "credit_fen": x.credit_fen}
        for x in tx.lines
    ]
    return repo.transaction_row(tx_id, tx.kind, reference, ctx.now, ctx.actor), entries


async def post(session: AsyncSession, ctx: Context, tx: Transaction, reference: str) -> None:
    """Append one balanced transaction."""
    head, entries = rows(ctx, tx, reference)
    await repo.append(session, [head], entries)
