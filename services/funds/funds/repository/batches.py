"""SQL of disbursement batches, their payments and the bank reports applied to them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from funds.models.tables import bank_reports, batches, grant_history, grants, payments, roster
from jzkit.db import is_postgres

# Rows per IN (...) list: well under PostgreSQL's 32767 bind parameters and SQLite's 32766.
CHUNK = 5000


def chunks(items: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    """``items`` cut into lists of at most ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def among(session: AsyncSession, column: sa.Column[Any], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column`` is one of ``values``: on PostgreSQL one array parameter (``= ANY``).

    An ``IN`` list is a bind parameter per value, each rendered at every execution: for a bank
    report of 100,000 payments that cost more than the updates themselves.
    """
    if is_postgres(session):
        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


async def batchable(session: AsyncSession, program_id: str, period: str, prefix: str) -> list[sa.Row[Any]]:
    """Approved grants of a program and period in a division whose household has a usable card."""
    stmt = (
        sa.select(
            grants.c.id,
            grants.c.household_id,
            grants.c.division_code,
            grants.c.amount_fen,
            roster.c.bank_name,
            roster.c.account_masked,
            roster.c.account_ciphertext,
            roster.c.holder_name_ciphertext,
        )
        .join(roster, roster.c.household_id == grants.c.household_id)
        .where(
            grants.c.program_id == program_id,
            grants.c.period == period,
            grants.c.status == "approved",
            grants.c.division_code.startswith(prefix),
            roster.c.account_ciphertext.is_not(None),
            roster.c.card_update_required.is_(False),
        )
        .order_by(grants.c.id)
    )
    return cast(list[sa.Row[Any]], list((await session.execute(stmt)).all()))


async def claim(session: AsyncSession, grant_ids: Sequence[str], values: dict[str, Any]) -> int:
    """Move approved grants into the batch; returns how many were still approved."""
    claimed = 0
    for part in chunks(grant_ids):
        stmt = (
            sa.update(grants)
            .where(among(session, grants.c.id, part), grants.c.status == "approved")
            .values(version=grants.c.version + 1, **values)
        )
        claimed += (await session.execute(stmt)).rowcount  # type: ignore[attr-defined]
    return claimed


async def last_attempts(session: AsyncSession, grant_ids: Sequence[str]) -> dict[str, int]:
    """The highest payment attempt of each grant that has any."""
    found: dict[str, int] = {}
    for part in chunks(grant_ids):
        stmt = (
            sa.select(payments.c.grant_id, sa.func.max(payments.c.attempt))
            .where(among(session, payments.c.grant_id, part))
            .group_by(payments.c.grant_id)
        )
        found.update({g: int(a) for g, a in (await session.execute(stmt)).all()})
    return found


async def insert_many(session: AsyncSession, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """executemany in chunks."""
    for part in chunks(rows):
        await session.execute(sa.insert(table), list(part))


async def get(session: AsyncSession, batch_id: str) -> sa.Row[Any] | None:
    """One batch."""
    return (await session.execute(sa.select(batches).where(batches.c.id == batch_id))).first()


async def payments_of(session: AsyncSession, batch_id: str) -> list[sa.Row[Any]]:
    """A batch's payments (with the grant's program and period), in file order."""
    stmt = (
        sa.select(payments, grants.c.program_id, grants.c.period, grants.c.budget_id, grants.c.reserved)
        .join(grants, grants.c.id == payments.c.grant_id)
        .where(payments.c.batch_id == batch_id)
        .order_by(payments.c.grant_id)
    )
    return list((await session.execute(stmt)).all())


async def payments_of_household(session: AsyncSession, household_id: str, prefix: str) -> list[sa.Row[Any]]:
    """Every payment attempt to one household inside ``prefix``, oldest first."""
    stmt = (
        sa.select(payments)
        .where(payments.c.household_id == household_id, payments.c.division_code.startswith(prefix))
        .order_by(payments.c.grant_id, payments.c.attempt)
    )
    return list((await session.execute(stmt)).all())


async def status_counts(session: AsyncSession, batch_id: str) -> dict[str, tuple[int, int]]:
    """Payments and fen per status of one batch."""
    stmt = (
        sa.select(payments.c.status, sa.func.count(), sa.func.sum(payments.c.amount_fen))
        .where(payments.c.batch_id == batch_id)
        .group_by(payments.c.status)
    )
    return {s: (int(n), int(t or 0)) for s, n, t in (await session.execute(stmt)).all()}


async def settle(
    session: AsyncSession, payment_ids: Sequence[str], expected: str, values: dict[str, Any]
) -> set[str]:
    """Set ``values`` on payments still in ``expected``; the ids actually changed."""
    changed: set[str] = set()
    for part in chunks(payment_ids):
        stmt = (
            sa.update(payments)
            .where(among(session, payments.c.id, part), payments.c.status == expected)
            .values(**values)
            .returning(payments.c.id)
        )
        changed.update(r[0] for r in (await session.execute(stmt)).all())
    return changed


async def set_grants(
    session: AsyncSession, grant_ids: Sequence[str], expected: str, values: dict[str, Any]
) -> None:
    """Move grants from ``expected`` to ``values`` (bank steps)."""
    for part in chunks(grant_ids):
        stmt = (
            sa.update(grants)
            .where(among(session, grants.c.id, part), grants.c.status == expected)
            .values(version=grants.c.version + 1, **values)
        )
        await session.execute(stmt)


async def history(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Append grant history rows in chunks."""
    await insert_many(session, grant_history, rows)


async def report(session: AsyncSession, message_id: str) -> sa.Row[Any] | None:
    """A bank report already applied."""
    return (
        await session.execute(sa.select(bank_reports).where(bank_reports.c.message_id == message_id))
    ).first()
