"""A migrated throwaway funds database on PostgreSQL and a driver calling the service code directly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import funds
from funds.events.consume import CONSUMER, handle
from funds.service import budgets, programs
from funds.service.budgets import BudgetDraft
from funds.service.context import Context
from funds.settings import FundsSettings
from jzkit.auth import Principal, Role
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import SessionFactory, make_engine, make_session_factory, unit_of_work
from jzkit.messaging.inbox import InboxConsumer
from jzkit.pii import PiiCipher
from jzkit.settings import CommonSettings
from jzkit.testing.pg import migrated_database

COUNTY, CHABA, LUCHANG = "510822000000", "510822104000", "510822104201"
PRINCIPALS = {
    "funds": Principal("funds", Role.FUNDS_OFFICER, COUNTY),
    "township": Principal("township", Role.TOWNSHIP_REVIEWER, CHABA),
    "clerk": Principal("clerk", Role.VILLAGE_CLERK, LUCHANG),
}
START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def funds_pg_url(pg_admin_url: str) -> Iterator[str]:
    """A migrated throwaway funds database (SQLAlchemy URL); dropped at the end."""
    with migrated_database(pg_admin_url, "funds", funds.MIGRATIONS_DIR) as (_, url):
        yield url


@dataclass
class Driver:
    """Calls the funds use cases as the API would: one unit of work per call, a movable clock."""

    sessions: SessionFactory
    common: CommonSettings
    now: datetime = START

    def ctx(self, who: str) -> Context:
        pii = PiiCipher(self.common.pii_key.get_secret_value())
        return Context(PRINCIPALS[who], self.now, pii, FundsSettings())

    async def run(self, who: str, use_case: Any, *args: Any) -> Any:
        async with unit_of_work(self.sessions) as session:
            return await use_case(session, self.ctx(who), *args)

    async def deliver(self, event: CloudEvent) -> None:
        await InboxConsumer(CONSUMER, self.sessions, handle).deliver(event)

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)

    async def program_and_budgets(
        self, program: dict[str, Any], county: dict[str, int], chaba: dict[str, int]
    ) -> None:
        await self.run("funds", programs.create_program, program)
        for division, amounts in ((COUNTY, county), (CHABA, chaba)):
            draft = BudgetDraft(
                program_id=program["code"], division_code=division, year=2026, amounts_fen=amounts
            )
            await self.run("funds", budgets.create_budget, draft)


@pytest.fixture
async def driver(funds_pg_url: str) -> AsyncIterator[Driver]:
    engine = make_engine(funds_pg_url, pool_size=20, max_overflow=20)
    try:
        yield Driver(make_session_factory(engine), CommonSettings(mode="embedded"))
    finally:
        await engine.dispose()
