"""Concurrent approvals against one budget on PostgreSQL: never overspent, exactly as many admitted as fit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from funds.service import grants
from funds.service.grants import GrantDraft, TransitionDraft
from funds.service.ledger import invariant_problems
from funds.testing import decision, industry_program, registry_event
from jzkit.errors import Conflict

pytestmark = pytest.mark.stack

Driver = Any  # the ``driver`` fixture (stack/conftest.py)
LUCHANG = "510822104201"
HOUSEHOLDS = 40
FITS = 13  # 茶坝乡's budget holds 13 grants of 2,000 yuan (and 1,000 yuan to spare)


async def _in_notice(driver: Driver, n: int) -> str:
    household = f"hh-{n:03d}"
    await driver.deliver(registry_event(driver.common, household, LUCHANG, 1, f"62305200{n:08d}"))
    await driver.deliver(decision(household, LUCHANG, "approved", driver.now))
    draft = GrantDraft(
        program_id="industry-2026", household_id=household, period="2026", details={"industries": ["farming"]}
    )
    grant = await driver.run("clerk", grants.apply, draft)
    await driver.run("clerk", grants.transition, grant["id"], TransitionDraft(action="verify"))
    await driver.run("township", grants.transition, grant["id"], TransitionDraft(action="publish"))
    return str(grant["id"])


async def test_concurrent_approvals_never_overspend(driver: Driver) -> None:
    total = FITS * 200_000 + 100_000
    await driver.program_and_budgets(
        industry_program(),
        {"region": 70_000_000, "county": 30_000_000},
        {"region": total * 7 // 10, "county": total * 3 // 10},
    )
    ids = [await _in_notice(driver, n) for n in range(HOUSEHOLDS)]
    driver.advance(days=7)

    async def approve(grant_id: str) -> bool:
        try:
            await driver.run("township", grants.transition, grant_id, TransitionDraft(action="approve"))
        except Conflict as exc:
            assert exc.code == "budget-exceeded"
            return False
        return True

    results = await asyncio.gather(*(approve(g) for g in ids))
    assert sum(results) == FITS
    async with driver.sessions() as session:
        row = (
            await session.execute(
                sa.text(
                    "SELECT sum(available_fen), sum(reserved_fen) FROM budget_balances b"
                    " JOIN budgets u ON u.id = b.budget_id "
                    "WHERE u.division_code = '510822104000'"
                )
            )
        ).one()
        assert (row[0], row[1]) == (100_000, FITS * 200_000)
        statuses = (
            await session.execute(sa.text("SELECT status, count(*) FROM grants GROUP BY status"))
        ).all()
        assert dict(statuses) == {"approved": FITS, "notice": HOUSEHOLDS - FITS}
        assert await invariant_problems(session) == []


async def test_concurrent_duplicate_applications_make_one_grant(driver: Driver) -> None:
    await driver.program_and_budgets(industry_program(), {"county": 3_000_000}, {"county": 600_000})
    await driver.deliver(registry_event(driver.common, "hh-1", LUCHANG, 1, "6230520000000001"))
    await driver.deliver(decision("hh-1", LUCHANG, "approved", driver.now))
    draft = GrantDraft(
        program_id="industry-2026", household_id="hh-1", period="2026", details={"industries": ["farming"]}
    )

    async def apply() -> bool:
        try:
            await driver.run("clerk", grants.apply, draft)
        except Conflict as exc:
            assert exc.code == "grant-exists"
            return False
        return True

    assert sum(await asyncio.gather(*(apply() for _ in range(10)))) == 1
    async with driver.sessions() as session:
        assert (await session.execute(sa.text("SELECT count(*) FROM grants"))).scalar_one() == 1
