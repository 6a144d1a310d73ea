"""The full procedure through the app on PostgreSQL: objection pause, scheduler, lock, one open case each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from identification import MIGRATIONS_DIR
from identification.app import create_app
from identification.domain import synthetic
from identification.domain.procedure import TABLE, Action, Stage
from identification.policies import DEFAULT, document
from identification.service import policies
from identification.service.notices import close_ended_notices
from identification.settings import IdentificationSettings
from jzkit.auth import Principal, Role
from jzkit.contracts.envelope import make_event
from jzkit.contracts.registry import HouseholdRegistered
from jzkit.db import unit_of_work
from jzkit.messaging.bus import InProcessBus
from jzkit.settings import CommonSettings
from jzkit.testing.pg import migrated_database

pytestmark = pytest.mark.stack

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# The user of each role in tests/conftest.py; who approves at a stage comes from the procedure's table.
USER_OF = {Role.VILLAGE_CLERK: "clerk", Role.TOWNSHIP_REVIEWER: "township", Role.COUNTY_APPROVER: "county"}


def approver(stage: str) -> str:
    return USER_OF[TABLE[(Stage(stage), Action.APPROVE)].role]


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def database(pg_admin_url: str) -> Iterator[tuple[str, str]]:
    """A migrated throwaway identification database: (asyncpg DSN, SQLAlchemy URL); dropped at the end."""
    with migrated_database(pg_admin_url, "ident_cases", MIGRATIONS_DIR) as database:
        yield database


@dataclass
class Pg:
    client: httpx.AsyncClient
    app: Any
    clock: Clock
    auth: Callable[[str], dict[str, str]]

    async def post(self, user: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await self.client.post(url, json=body, headers=self.auth(user))
        assert r.status_code in (200, 201), r.text
        doc: dict[str, Any] = r.json()
        return doc


@pytest.fixture
async def pg_app(
    database: tuple[str, str], common_settings: CommonSettings, auth: Callable[[str], dict[str, str]]
) -> AsyncIterator[Pg]:
    settings = IdentificationSettings(database_url=database[1], notice_poll_seconds=3600.0)
    bus, clock = InProcessBus(), Clock()
    app = create_app(settings=settings, common=common_settings, subscriber=bus, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://identification") as client:
            app.state.bus = bus
            yield Pg(client, app, clock, auth)


async def test_the_procedure_runs_to_locked_on_postgresql(pg_app: Pg, database: tuple[str, str]) -> None:
    sessions = pg_app.app.state.runtime.sessions
    admin = Principal(subject="admin", role=Role.ADMIN, jurisdiction="510000000000")
    async with unit_of_work(sessions) as session:
        policy = await policies.create_policy(session, admin, document(DEFAULT), "test", START)
    facts = synthetic.household_facts("510822104201")
    await pg_app.app.state.bus.publish(
        make_event(HouseholdRegistered(household=facts), source="t", subject=None, actor="t")
    )
    body = {"household_id": facts.household_id, "kind": "entry", "policy": policy.id, "reason": "申请"}
    case = await pg_app.post("clerk", "/api/v1/cases", body)
    twice = await pg_app.client.post("/api/v1/cases", json=body, headers=pg_app.auth("clerk"))
    assert (twice.status_code, twice.json()["code"]) == (409, "case-already-open")
    url = f"/api/v1/cases/{case['id']}/transitions"
    while case["stage"] != "locked":
        if case["stage"] == "first_notice" and not case["objections"]:
            pg_app.clock.now += timedelta(days=1)
            await pg_app.post("auditor", url, {"action": "object", "reason": "异议"})
            pg_app.clock.now += timedelta(days=2)
            case = await pg_app.post(
                "township", url, {"action": "resolve", "finding": "dismissed", "reason": "核实"}
            )
        if case["notice_state"] == "running":
            pg_app.clock.now = datetime.fromisoformat(case["notice_ends_at"])
            async with unit_of_work(sessions) as session:
                assert await close_ended_notices(session, pg_app.clock.now) == 1
        case = await pg_app.post(approver(case["stage"]), url, {"action": "approve", "reason": "同意"})
    assert case["closed_at"] is not None
    conn = await asyncpg.connect(database[0])
    try:
        types = [r["event_type"] for r in await conn.fetch("SELECT event_type FROM outbox ORDER BY id")]
        decision = await conn.fetchval(
            "SELECT decision_status FROM household_facts WHERE household_id = $1", facts.household_id
        )
        steps = await conn.fetchval("SELECT count(*) FROM case_steps WHERE case_id = $1", case["id"])
    finally:
        await conn.close()
    assert "identification.household.approved" in types
    assert types.count("identification.notice.ended") == 2
    assert decision == "poor"
    assert steps == len(case["history"]) == 12
