"""Monitoring households at risk (防止返贫监测): origin, risk, working-day deadline, overdue, removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from identification.policies import DEFAULT, document
from identification.repository.facts import get_decision
from identification.service import policies
from jzkit.auth import Principal, Role
from jzkit.db import unit_of_work

FRIDAY_10_CST = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


async def one_day_policy(cases: Any) -> str:
    """A policy whose monitoring procedure must finish within one working day."""
    doc = document(DEFAULT)
    doc = {
        **doc,
        "name": "one-day-monitoring",
        "monitoring": {**doc["monitoring"], "deadline_working_days": 1},
    }
    admin = Principal(subject="admin", role=Role.ADMIN, jurisdiction="510000000000")
    async with unit_of_work(cases.api.sessions) as session:
        return (await policies.create_policy(session, admin, doc, "test", cases.api.clock())).id


async def overdue_ids(cases: Any, overdue: bool) -> list[str]:
    r = await cases.api.get("county", "/api/v1/cases", overdue=str(overdue).lower(), kind="monitoring")
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


async def test_the_deadline_skips_the_weekend_and_raises_overdue(cases: Any) -> None:
    cases.api.clock.now = FRIDAY_10_CST
    policy = await one_day_policy(cases)
    case = await cases.opened("monitoring", policy=policy, origin="self_report", risk="illness")
    monday = FRIDAY_10_CST + timedelta(days=3)
    assert datetime.fromisoformat(case["deadline_at"]) == monday
    assert case["overdue"] is False
    cases.api.clock.now = monday - timedelta(minutes=1)  # Sunday and Monday morning do not count as late
    assert (await cases.case(case["id"]))["overdue"] is False
    assert await overdue_ids(cases, True) == []
    assert await overdue_ids(cases, False) == [case["id"]]
    cases.api.clock.now = monday + timedelta(seconds=1)
    assert (await cases.case(case["id"]))["overdue"] is True
    assert await overdue_ids(cases, True) == [case["id"]]
    assert await overdue_ids(cases, False) == []


async def test_the_default_deadline_is_twenty_working_days(cases: Any) -> None:
    cases.api.clock.now = FRIDAY_10_CST
    case = await cases.opened("monitoring", origin="cadre_screening", risk="income")
    assert datetime.fromisoformat(case["deadline_at"]) == datetime(2026, 12, 25, 2, 0, tzinfo=UTC)


async def test_a_closed_case_is_never_overdue(cases: Any) -> None:
    case = await cases.opened("monitoring", origin="data_warning", risk="disaster")
    locked = await cases.drive_to(case, "locked")
    cases.api.clock.advance(timedelta(days=365))
    assert (await cases.case(locked["id"]))["overdue"] is False


async def test_monitoring_starts_and_a_second_case_removes_it(cases: Any) -> None:
    case = await cases.opened("monitoring", origin="self_report", risk="accident")
    assert (case["removal"], case["origin"], case["risk"]) == (False, "self_report", "accident")
    await cases.drive_to(case, "locked")
    started = (await cases.outbox())[-1]
    assert started["type"] == "identification.monitoring.started"
    assert started["data"]["risk"] == "accident"
    async with cases.api.sessions() as session:
        assert await get_decision(session, case["household_id"]) == ("registered", True)
    r = await cases.open(case["household_id"], "monitoring", origin="cadre_screening", reason="风险已消除")
    assert r.status_code == 201, r.text
    removal = r.json()
    assert removal["removal"] is True and removal["risk"] is None
    await cases.drive_to(removal, "locked")
    assert (await cases.outbox_types())[-1] == "identification.monitoring.ended"
    async with cases.api.sessions() as session:
        assert await get_decision(session, case["household_id"]) == ("registered", False)


async def test_the_risk_defaults_to_a_qualifying_cause_or_income(cases: Any) -> None:
    ill = await cases.household(poverty_causes=["illness"])
    r = await cases.open(ill.household_id, "monitoring", origin="data_warning")
    assert r.json()["risk"] == "illness"
    plain = await cases.household()
    r = await cases.open(plain.household_id, "monitoring", origin="data_warning")
    assert r.json()["risk"] == "income"


async def test_bad_monitoring_fields_name_the_field(cases: Any) -> None:
    facts = await cases.household()
    no_origin = await cases.open(facts.household_id, "monitoring")
    assert (no_origin.status_code, no_origin.json()["field"]) == (422, "origin")
    bad_risk = await cases.open(facts.household_id, "monitoring", origin="self_report", risk="lottery")
    assert (bad_risk.status_code, bad_risk.json()["field"]) == (422, "risk")
    entry_with_origin = await cases.open(facts.household_id, "entry", origin="self_report")
    assert (entry_with_origin.status_code, entry_with_origin.json()["field"]) == (422, "origin")
    assert await cases.outbox_types() == []
