"""Registry → identification → registry on real processes: a household registered through the gateway
reaches identification's projection by events, goes through the whole procedure, and
``identification.household.approved`` arrives on RabbitMQ; the registry then shows it as poor (issue 3)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from identification.policies import DEFAULT, document
from jzkit.auth import Role
from jzkit.testing.stack import Stack
from registry.synth import Synthesizer

if TYPE_CHECKING:
    from tests.stack.conftest import EventCollector

pytestmark = pytest.mark.stack

VILLAGE = ("510822104201", "炉场村")
TOWNSHIP = "510822104000"
COUNTY = "510822000000"
WAIT_SECONDS = 20.0
# Seconds, not days: the notices of this test policy run out while the test waits.
NOTICE = "PT1S"
# (acting role, steps it approves in a row) in the procedure's order.
STEPS = (("clerk", 2), ("township", 2), ("county", 3))


def _headers(stack: Stack) -> dict[str, dict[str, str]]:
    tokens = {
        "clerk": stack.token(Role.VILLAGE_CLERK, VILLAGE[0]),
        "township": stack.token(Role.TOWNSHIP_REVIEWER, TOWNSHIP),
        "county": stack.token(Role.COUNTY_APPROVER, COUNTY),
    }
    return {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}


def _fast_policy() -> dict[str, Any]:
    policy = document(DEFAULT)
    policy.update(name="stack-test-fast-notices", division_code=COUNTY)
    policy["notices"] = {"first": NOTICE, "second": NOTICE, "county": None}
    return policy


async def _until_ok(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: str) -> Any:
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            response = await client.get(url, params=params, headers=headers)
            if response.status_code == 200:
                return response.json()
            assert response.status_code == 404, response.text
            await asyncio.sleep(0.1)


async def _advance(client: httpx.AsyncClient, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """Approve the next step, waiting out a running notice (409 notice-running) as a reviewer would."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            body = {"action": "approve", "reason": "核实无误"}
            response = await client.post(f"/api/v1/cases/{case_id}/transitions", json=body, headers=headers)
            if response.status_code == 200:
                return dict(response.json())
            assert response.json()["code"] == "notice-running", response.text
            await asyncio.sleep(0.2)


async def test_a_registered_household_is_approved_and_the_decision_reaches_the_registry(
    live_stack: Stack, synthesizer: Synthesizer, all_events: EventCollector
) -> None:
    who = _headers(live_stack)
    admin = {"Authorization": f"Bearer {live_stack.token(Role.ADMIN, COUNTY)}"}
    draft = synthesizer.household(*VILLAGE).model_dump(mode="json", exclude_none=True)
    async with httpx.AsyncClient(base_url=live_stack.gateway_url, timeout=WAIT_SECONDS) as client:
        stored = await client.post(
            "/api/v1/policies", json={"document": _fast_policy(), "reason": "stack test"}, headers=admin
        )
        assert stored.status_code == 201, stored.text
        policy_id = stored.json()["id"]
        created = await client.post("/api/v1/households", json=draft, headers=who["clerk"])
        assert created.status_code == 201, created.text
        household_id = created.json()["id"]

        # The projection is fed by registry events over RabbitMQ, not by reading the registry.
        assessment = await _until_ok(
            client, f"/api/v1/households/{household_id}/assessment", who["clerk"], policy=policy_id
        )
        assert assessment["household_id"] == household_id

        opened = await client.post(
            "/api/v1/cases",
            json={"household_id": household_id, "kind": "entry", "policy": policy_id, "reason": "本人申请"},
            headers=who["clerk"],
        )
        assert opened.status_code == 201, opened.text
        case = opened.json()
        for role, count in STEPS:
            for _ in range(count):
                case = await _advance(client, case["id"], who[role])
        assert case["stage"] == "locked"

        got = await all_events.wait_for(
            lambda ds: any(
                d.routing_key == "identification.household.approved"
                and d.envelope["data"]["household_id"] == household_id
                for d in ds
            )
        )
        approved = next(d.envelope for d in got if d.routing_key == "identification.household.approved")
        assert approved["data"]["case_id"] == case["id"] and approved["data"]["policy_id"] == policy_id
        assert approved["actor"] == "stack-county_approver"

        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                household = (
                    await client.get(f"/api/v1/households/{household_id}", headers=who["clerk"])
                ).json()
                if household["status"] == "poor":
                    break
                await asyncio.sleep(0.1)
