"""Registry → identification → funds on real processes (issues 3 and 4).

A household registered through the gateway reaches identification's projection by events, goes
through the whole procedure, and ``identification.household.approved`` arrives on RabbitMQ; the
registry then shows it as poor. Funds learnt of it from the same events: it gets a grant, a batch,
an ISO 20022 pain.001 file, a pain.002 report from "the bank", and ``funds.disbursed`` arrives."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from funds.domain.iso20022.pain002 import TxStatus, build_pain002
from funds.testing import industry_program
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
PROGRAM = "stack-industry-2026"
BUDGET = {"region": 140_000, "county": 60_000}
FARMING_FEN = 200_000


def _headers(stack: Stack) -> dict[str, dict[str, str]]:
    tokens = {
        "clerk": stack.token(Role.VILLAGE_CLERK, VILLAGE[0]),
        "township": stack.token(Role.TOWNSHIP_REVIEWER, TOWNSHIP),
        "county": stack.token(Role.COUNTY_APPROVER, COUNTY),
        "funds": stack.token(Role.FUNDS_OFFICER, COUNTY),
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


async def test_a_registered_household_is_approved_granted_and_paid(
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

        # Funds learns of the approval from the same event, on its own queue: wait until it has.
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                roster = await _until_ok(client, f"/api/v1/roster/{household_id}", who["funds"])
                if roster["locked_in"]:
                    break
                await asyncio.sleep(0.1)
        grant = await _approved_grant(client, who, household_id)
        holder = draft["bank_account"]["holder_id_number"]
        payee = next(m["name"] for m in draft["members"] if m["id_number"] == holder)
        await _pay(client, who["funds"], grant, payee)
        got = await all_events.wait_for(
            lambda ds: any(
                d.routing_key == "funds.disbursed" and d.envelope["data"]["grant_id"] == grant["id"]
                for d in ds
            )
        )
        paid = next(d.envelope for d in got if d.routing_key == "funds.disbursed")
        assert paid["data"]["household_id"] == household_id
        assert paid["data"]["amount_fen"] == grant["amount_fen"] == FARMING_FEN


async def _approved_grant(
    client: httpx.AsyncClient, who: dict[str, dict[str, str]], household_id: str
) -> dict[str, Any]:
    """A program with a one-second notice, its budget, and a grant through every step."""
    program = industry_program(code=PROGRAM, notice=NOTICE, test_only=True)
    stored = await client.post("/api/v1/programs", json=program, headers=who["funds"])
    assert stored.status_code == 201, stored.text
    for division, amounts in ((COUNTY, {"region": 700_000, "county": 300_000}), (TOWNSHIP, BUDGET)):
        body = {"program_id": PROGRAM, "division_code": division, "year": 2026, "amounts_fen": amounts}
        budget = await client.post("/api/v1/budgets", json=body, headers=who["funds"])
        assert budget.status_code == 201, budget.text
    application = {
        "program_id": PROGRAM,
        "household_id": household_id,
        "period": "2026",
        "details": {"industries": ["farming"]},
        "reason": "发展种植",
    }
    applied = await client.post("/api/v1/grants", json=application, headers=who["clerk"])
    assert applied.status_code == 201, applied.text
    url = f"/api/v1/grants/{applied.json()['id']}/transitions"
    for role, action in (("clerk", "verify"), ("township", "publish")):
        step = await client.post(url, json={"action": action, "reason": "核实"}, headers=who[role])
        assert step.status_code == 200, step.text
    approve = {"action": "approve", "reason": "公示无异议"}
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            approved = await client.post(url, json=approve, headers=who["township"])
            if approved.status_code == 200:
                return dict(approved.json())
            assert approved.status_code == 409, approved.text
            await asyncio.sleep(0.2)


async def _pay(client: httpx.AsyncClient, funds: dict[str, str], grant: dict[str, Any], payee: str) -> None:
    """A batch with its control totals, its pain.001 (paying the card holder), and the bank's pain.002."""
    body = {
        "program_id": PROGRAM,
        "period": "2026",
        "division_code": TOWNSHIP,
        "payments_count": 1,
        "total_fen": grant["amount_fen"],
        "reason": "第一批",
    }
    created = await client.post("/api/v1/batches", json=body, headers=funds)
    assert created.status_code == 201, created.text
    batch = created.json()
    payment_file = await client.get(f"/api/v1/batches/{batch['id']}/payment-file", headers=funds)
    assert payment_file.status_code == 200, payment_file.text
    (end_to_end,) = re.findall(r"<EndToEndId>([^<]+)</EndToEndId>", payment_file.text)
    assert "<NbOfTxs>1</NbOfTxs>" in payment_file.text
    # The registry's card holder, carried encrypted through the events, is the payee.
    assert f"<Cdtr><Nm>{payee}</Nm>" in payment_file.text.replace("\n", "").replace(" ", "")
    statuses = [TxStatus(end_to_end, "accepted")]
    report = build_pain002("BANK-STACK-1", datetime.now(UTC), batch["message_id"], statuses)
    headers = {**funds, "Content-Type": "application/xml"}
    posted = await client.post(f"/api/v1/batches/{batch['id']}/bank-report", content=report, headers=headers)
    assert posted.status_code == 200, posted.text
