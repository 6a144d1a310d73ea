"""Case tests: the shared app fixture plus stored policies, households in 炉场村 and a procedure driver."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from identification.policies import DEFAULT, document
from identification.service import policies
from identification.settings import IdentificationSettings
from jzkit.auth import Principal, Role
from jzkit.contracts.registry import HouseholdFacts
from jzkit.db import unit_of_work
from jzkit.messaging.tables import OutboxMessage

LUCHANG = "510822104201"
PROVINCE = "510000000000"
WEEK = timedelta(days=7)
# Who approves at each stage (the procedure's table, spelt out as the API user names).
APPROVER = {
    "applied": "clerk",
    "village_assessed": "clerk",
    "first_notice": "township",
    "township_reviewed": "township",
    "second_notice": "county",
    "county_approved": "county",
    "county_notice": "county",
    "announced": "county",
}


@pytest.fixture
def ident_settings(ident_settings: IdentificationSettings) -> IdentificationSettings:
    """The shared settings, the scheduler effectively off: tests call ``close_ended_notices`` themselves."""
    return ident_settings.model_copy(update={"notice_poll_seconds": 3600.0})


@dataclass
class Cases:
    """Drives the case API: stored policies, households fed through the bus, the fake clock."""

    api: Any  # IdentApi from tests/api/conftest.py
    policy_id: str
    county_notice_policy_id: str
    make_facts: Callable[..., HouseholdFacts]

    async def household(self, division: str = LUCHANG, **fields: Any) -> HouseholdFacts:
        """A household of ``division`` in the projection (fed as a registry event)."""
        facts: HouseholdFacts = await self.api.feed(self.make_facts(division, **fields))
        return facts

    async def open(
        self,
        household_id: str,
        kind: str = "entry",
        user: str = "clerk",
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> httpx.Response:
        doc = {"household_id": household_id, "kind": kind, "policy": self.policy_id, "reason": "申请", **body}
        response: httpx.Response = await self.api.post(user, "/api/v1/cases", doc, **(headers or {}))
        return response

    async def opened(self, kind: str = "entry", **body: Any) -> dict[str, Any]:
        """A new household with a new case of ``kind``; the case document."""
        facts = await self.household()
        r = await self.open(facts.household_id, kind, **body)
        assert r.status_code == 201, r.text
        doc: dict[str, Any] = r.json()
        return doc

    async def step(
        self,
        user: str,
        case_id: str,
        action: str = "approve",
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> httpx.Response:
        doc = {"action": action, "reason": f"{action} by {user}", **body}
        url = f"/api/v1/cases/{case_id}/transitions"
        response: httpx.Response = await self.api.post(user, url, doc, **(headers or {}))
        return response

    async def case(self, case_id: str) -> dict[str, Any]:
        r = await self.api.get("county", f"/api/v1/cases/{case_id}")
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc

    async def advance(self, case: dict[str, Any]) -> dict[str, Any]:
        """One approval by the stage's role, first letting a running notice run out."""
        if case["notice_state"] == "running":
            self.api.clock.now = max(self.api.clock.now, _parse(case["notice_ends_at"]))
        r = await self.step(APPROVER[case["stage"]], case["id"])
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc

    async def drive_to(self, case: dict[str, Any], stage: str) -> dict[str, Any]:
        """Approve step by step until the case is at ``stage``."""
        while case["stage"] != stage:
            case = await self.advance(case)
        return case

    async def outbox(self) -> list[dict[str, Any]]:
        """Every business event staged in the outbox, oldest first (the kit's request records left out)."""
        stmt = (
            sa.select(col(OutboxMessage.payload))
            .where(sa.not_(col(OutboxMessage.event_type).like("%.request.handled")))
            .order_by(col(OutboxMessage.id))
        )
        async with self.api.sessions() as session:
            rows = (await session.execute(stmt)).scalars()
            return [json.loads(p) for p in rows]

    async def outbox_types(self) -> list[str]:
        return [e["type"] for e in await self.outbox()]


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
async def cases(ident_api: Any, make_facts: Callable[..., HouseholdFacts]) -> Cases:
    """Two stored policies (the seed's, and a copy with a 15-day county notice) and the driver."""
    admin = Principal(subject="admin", role=Role.ADMIN, jurisdiction=PROVINCE)
    plain = document(DEFAULT)
    county = {**plain, "name": "with-county-notice", "notices": {**plain["notices"], "county": "P15D"}}
    async with unit_of_work(ident_api.sessions) as session:
        now = ident_api.clock()
        first = await policies.create_policy(session, admin, plain, "test policy", now)
        second = await policies.create_policy(session, admin, county, "test policy", now)
    return Cases(ident_api, first.id, second.id, make_facts)
