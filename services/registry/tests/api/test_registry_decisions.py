"""Identification's decisions, consumed from the bus, keep each household's ``status`` current."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from jzkit import metrics
from jzkit.contracts.envelope import CloudEvent
from jzkit.messaging.bus import InProcessBus
from registry.app import create_app
from registry.settings import RegistrySettings
from registry.synth import Synthesizer

LUCHANG = "510822104201"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class Running:
    client: httpx.AsyncClient
    bus: InProcessBus
    seen: list[CloudEvent]
    headers: dict[str, str]

    async def decide(self, event_type: str, household_id: str, at: datetime, **data: Any) -> None:
        event = CloudEvent(
            source="/jingzhun/identification",
            type=event_type,
            subject=f"household/{household_id}",
            time=at,
            actor="county",
            reason="民主评议通过",
            data={"household_id": household_id, "division_code": LUCHANG, **data},
        )
        await self.bus.publish(event)

    async def household(self, household_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/households/{household_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
async def running(registry_db: Any, common_settings: Any, auth: Any, tmp_path: Any) -> AsyncIterator[Running]:
    settings = RegistrySettings(database_url=f"sqlite+aiosqlite:///{registry_db}", import_dir=tmp_path)
    bus = InProcessBus()
    seen: list[CloudEvent] = []

    async def record(event: CloudEvent) -> bool:
        seen.append(event)
        return True

    bus.subscribe("spy", ("registry.#",), record)
    app = create_app(settings=settings, common=common_settings, publisher=bus, subscriber=bus)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield Running(client, bus, seen, auth("clerk"))


async def register(running: Running) -> str:
    draft = next(iter(Synthesizer(seed=5).households(1, [(LUCHANG, "炉场村")])))
    response = await running.client.post(
        "/api/v1/households", json=draft.model_dump(mode="json"), headers=running.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_procedure_moves_status_and_publishes_each_change(running: Running) -> None:
    household_id = await register(running)
    await running.decide("identification.case.opened", household_id, T0, kind="entry", case_id="c1")
    opened = await running.household(household_id)
    assert (opened["status"], opened["version"]) == ("under_review", 2)

    await running.decide("identification.household.approved", household_id, T0 + timedelta(days=20))
    approved = await running.household(household_id)
    assert (approved["status"], approved["version"]) == ("poor", 3)

    await running.decide("identification.household.exited", household_id, T0 + timedelta(days=200))
    assert (await running.household(household_id))["status"] == "exited"
    for _ in range(200):  # the relay task publishes the outbox asynchronously
        updates = [e for e in running.seen if e.type == "registry.household.updated"]
        if len(updates) == 3:
            break
        await asyncio.sleep(0.02)
    assert [e.data["household"]["status"] for e in updates] == ["under_review", "poor", "exited"]
    assert all(e.data["changed_fields"] == ["status"] and e.actor == "county" for e in updates)


async def test_a_late_older_decision_never_overwrites_a_newer_one(running: Running) -> None:
    household_id = await register(running)
    superseded = metrics.EVENTS_SUPERSEDED.labels("registry", "identification.case.opened")
    before = superseded._value.get()
    await running.decide("identification.household.approved", household_id, T0 + timedelta(days=20))
    await running.decide("identification.case.opened", household_id, T0, kind="entry", case_id="c1")
    household = await running.household(household_id)
    assert (household["status"], household["version"]) == ("poor", 2)
    assert superseded._value.get() == before + 1  # counted: the faults suite accounts for it


async def test_steps_that_decide_nothing_leave_the_household_alone(running: Running) -> None:
    household_id = await register(running)
    await running.decide("identification.case.opened", household_id, T0, kind="exit", case_id="c2")
    await running.decide("identification.case.rejected", household_id, T0, kind="exit", stage="applied")
    household = await running.household(household_id)
    assert (household["status"], household["version"]) == ("registered", 1)


async def test_decision_about_an_unknown_household_is_consumed_without_effect(running: Running) -> None:
    await running.decide("identification.household.approved", "no-such-household", T0)
    response = await running.client.get("/api/v1/households/no-such-household", headers=running.headers)
    assert response.status_code == 404
