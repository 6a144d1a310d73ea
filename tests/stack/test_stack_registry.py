"""Registry, relay and gateway as real processes on PostgreSQL and RabbitMQ.

What only a stack run can show: the event a request causes really leaves through the outbox and
the broker, survives a stopped or killed relay, and the gateway degrades to a clean 502.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest

from jzkit.auth import Role
from jzkit.testing.stack import Stack, relay_name
from registry.synth import Synthesizer

if TYPE_CHECKING:
    from tests.stack.conftest import EventCollector


pytestmark = pytest.mark.stack

VILLAGE = ("510822104201", "炉场村")
REGISTERED = "registry.household.registered"
UPDATED = "registry.household.updated"
RELAY = relay_name("registry")
WAIT_SECONDS = 20.0


def _client(
    stack: Stack, role: Role = Role.VILLAGE_CLERK, jurisdiction: str = VILLAGE[0]
) -> httpx.AsyncClient:
    token = stack.token(role, jurisdiction)
    return httpx.AsyncClient(
        base_url=stack.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=WAIT_SECONDS
    )


async def _register(client: httpx.AsyncClient, draft: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/v1/households", json=draft)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _draft(synthesizer: Synthesizer) -> dict[str, Any]:
    return synthesizer.household(*VILLAGE).model_dump(mode="json", exclude_none=True)


async def _outbox(stack: Stack, household_ids: list[str]) -> list[asyncpg.Record]:
    """Outbox rows of these households' events, oldest first."""
    conn = await asyncpg.connect(stack.database_url("registry", "postgresql"))
    try:
        return await conn.fetch(
            "SELECT event_id, event_type, published_at FROM outbox"
            " WHERE (payload::jsonb)->>'subject' = ANY($1::text[]) ORDER BY id",
            [f"household/{h}" for h in household_ids],
        )
    finally:
        await conn.close()


async def _wait_all_published(stack: Stack, household_ids: list[str]) -> list[asyncpg.Record]:
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            rows = await _outbox(stack, household_ids)
            if rows and all(r["published_at"] is not None for r in rows):
                return rows
            await asyncio.sleep(0.1)


async def test_registration_through_the_gateway_reaches_the_broker_as_a_cloudevent(
    live_stack: Stack, events: EventCollector, synthesizer: Synthesizer
) -> None:
    draft = _draft(synthesizer)
    async with _client(live_stack) as client:
        household = await _register(client, draft)

    subject = f"household/{household['id']}"
    got = await events.wait_for(lambda ds: any(d.envelope["subject"] == subject for d in ds))
    delivery = next(d for d in got if d.envelope["subject"] == subject)
    event = delivery.envelope
    assert delivery.routing_key == REGISTERED
    assert delivery.content_type == "application/cloudevents+json"
    assert delivery.message_id == event["id"]
    assert event["specversion"] == "1.0"
    assert event["type"] == REGISTERED
    assert event["source"] == "/jingzhun/registry"
    assert event["id"]
    sent_at = datetime.fromisoformat(event["time"])
    assert sent_at.tzinfo is not None
    assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)
    facts = event["data"]["household"]
    assert facts["household_id"] == household["id"]
    assert facts["household_version"] == 1
    assert facts["members_count"] == len(draft["members"])
    body = delivery.body.decode()
    for member in draft["members"]:
        assert member["id_number"] not in body
        assert member["name"] not in body
    if "bank_account" in draft:
        assert draft["bank_account"]["account_number"] not in body


async def test_get_carries_an_etag_and_patch_with_if_match_emits_updated(
    live_stack: Stack, events: EventCollector, synthesizer: Synthesizer
) -> None:
    async with _client(live_stack) as client:
        household = await _register(client, _draft(synthesizer))
        path = f"/api/v1/households/{household['id']}"

        fetched = await client.get(path)
        assert fetched.status_code == 200
        assert fetched.headers["etag"] == '"1"'
        assert fetched.json()["id"] == household["id"]

        patch = {"address": "炉场村五组", "reason": "moved within the village"}
        missing = await client.patch(path, json=patch)
        assert missing.status_code == 428
        patched = await client.patch(path, json=patch, headers={"If-Match": fetched.headers["etag"]})
        assert patched.status_code == 200, patched.text
        assert patched.headers["etag"] == '"2"'
        assert patched.json()["address"] == "炉场村五组"

        stale = await client.patch(path, json=patch, headers={"If-Match": '"1"'})
        assert stale.status_code == 412
        assert stale.headers["content-type"].startswith("application/problem+json")
        assert stale.json()["code"] == "version-mismatch"

    subject = f"household/{household['id']}"
    got = await events.wait_for(
        lambda ds: any(d.envelope["subject"] == subject and d.routing_key == UPDATED for d in ds)
    )
    updates = [d.envelope for d in got if d.envelope["subject"] == subject and d.routing_key == UPDATED]
    assert len(updates) == 1  # the refused PATCHes emitted nothing
    assert updates[0]["data"]["changed_fields"] == ["address"]
    assert updates[0]["data"]["household"]["household_version"] == 2
    assert updates[0]["reason"] == "moved within the village"


async def test_events_committed_while_the_relay_is_stopped_arrive_exactly_once(
    live_stack: Stack, events: EventCollector, synthesizer: Synthesizer
) -> None:
    assert live_stack.stop(RELAY) == 0  # SIGTERM: a clean exit

    async with _client(live_stack) as client:
        households = [await _register(client, _draft(synthesizer)) for _ in range(5)]
    ids = [h["id"] for h in households]
    pending = await _outbox(live_stack, ids)
    assert len(pending) == 5
    assert all(r["published_at"] is None and r["event_type"] == REGISTERED for r in pending)
    await asyncio.sleep(0.5)
    assert not {r["event_id"] for r in pending} & set(events.ids())  # nothing leaked without the relay

    live_stack.start(RELAY)
    event_ids = {r["event_id"] for r in pending}
    await events.wait_for_ids(event_ids)
    await _wait_all_published(live_stack, ids)
    await asyncio.sleep(0.5)  # room for a duplicate to show up
    counts = {i: events.ids().count(i) for i in event_ids}
    assert counts == dict.fromkeys(event_ids, 1)


async def test_a_relay_killed_between_runs_loses_nothing(
    live_stack: Stack, events: EventCollector, synthesizer: Synthesizer
) -> None:
    assert live_stack.stop(RELAY) == 0
    async with _client(live_stack) as client:
        first = [await _register(client, _draft(synthesizer)) for _ in range(12)]
        first_events = {r["event_id"] for r in await _outbox(live_stack, [h["id"] for h in first])}

        # Small batches, so the kill lands with part of the backlog published and part not.
        relay = live_stack.processes[RELAY]
        relay.start({**live_stack.env, "JZ_RELAY_BATCH_SIZE": "2"})
        await events.wait_for(lambda ds: any(d.envelope["id"] in first_events for d in ds))
        live_stack.stop(RELAY, kill=True)

        second = [await _register(client, _draft(synthesizer)) for _ in range(3)]
    ids = [h["id"] for h in [*first, *second]]
    rows = await _outbox(live_stack, ids)
    assert len(rows) == 15
    assert sum(r["published_at"] is None for r in rows) >= 3  # at least the events written while dead

    live_stack.start(RELAY)
    await events.wait_for_ids({r["event_id"] for r in rows})
    assert all(r["published_at"] is not None for r in await _wait_all_published(live_stack, ids))


async def test_gateway_answers_502_while_the_registry_is_down_and_recovers(
    live_stack: Stack, synthesizer: Synthesizer
) -> None:
    async with _client(live_stack) as client:
        household = await _register(client, _draft(synthesizer))
        path = f"/api/v1/households/{household['id']}"
        live_stack.stop("registry")
        try:
            down = await client.get(path)
            assert down.status_code == 502
            assert down.headers["content-type"].startswith("application/problem+json")
            problem = down.json()
            assert problem["status"] == 502
            assert problem["code"] == "upstream-unavailable"
            assert (await client.get("/readyz")).status_code == 503
        finally:
            live_stack.start("registry")

        back = await client.get(path)
        assert back.status_code == 200
        assert back.json()["id"] == household["id"]
        assert (await client.get("/readyz")).status_code == 200
