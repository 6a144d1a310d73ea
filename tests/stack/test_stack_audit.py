"""The audit consumer as a real process: a registration through the gateway lands in the audit log,
provably, under the current signed tree head (issue 5)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

from audit.domain.canonical import canonical_json
from audit.domain.checkpoint import open_checkpoint
from audit.domain.merkle import leaf_hash, verify_inclusion
from audit.domain.note import Verifier
from audit.settings import AuditSettings
from jzkit.auth import Role
from jzkit.testing.stack import Stack
from registry.synth import Synthesizer

pytestmark = pytest.mark.stack

VILLAGE = ("510822104201", "炉场村")
WAIT_SECONDS = 20.0


async def _entry_for(client: httpx.AsyncClient, subject: str, **filters: str) -> dict[str, Any]:
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            page = await client.get("/api/v1/audit/entries", params={"subject": subject, **filters})
            assert page.status_code == 200, page.text
            if page.json()["items"]:
                item: dict[str, Any] = page.json()["items"][0]
                return item
            await asyncio.sleep(0.1)


async def _request_record(client: httpx.AsyncClient, request_id: str) -> dict[str, Any]:
    """The logged item of the write request ``request_id`` (waits for the consumer)."""
    params = {"type": "registry.request.handled", "limit": "500"}
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            page = await client.get("/api/v1/audit/entries", params=params)
            assert page.status_code == 200, page.text
            for item in page.json()["items"]:
                if item["entry"]["event"]["requestid"] == request_id:
                    found: dict[str, Any] = item
                    return found
            await asyncio.sleep(0.1)


async def _assert_proven(client: httpx.AsyncClient, item: dict[str, Any]) -> None:
    """``item``'s leaf hash is its entry's, and it is included under the current signed tree head."""
    leaf = leaf_hash(canonical_json(item["entry"]))
    assert base64.b64encode(leaf).decode() == item["leaf_hash"]
    vkey = (await client.get("/api/v1/audit/key")).text.strip()
    head = (await client.get("/api/v1/audit/tree-head")).text
    checkpoint = open_checkpoint(head, Verifier(vkey), AuditSettings().origin)
    assert checkpoint.size > item["index"]
    proof = await client.get(
        "/api/v1/audit/proofs/inclusion", params={"index": item["index"], "tree_size": checkpoint.size}
    )
    assert proof.status_code == 200, proof.text
    hashes = [base64.b64decode(h) for h in proof.json()["hashes"]]
    assert verify_inclusion(leaf, item["index"], checkpoint.size, hashes, checkpoint.root_hash)


async def test_a_registration_is_in_the_audit_log_twice_each_with_a_valid_inclusion_proof(
    live_stack: Stack, synthesizer: Synthesizer
) -> None:
    clerk = {"Authorization": f"Bearer {live_stack.token(Role.VILLAGE_CLERK, VILLAGE[0])}"}
    auditor = {"Authorization": f"Bearer {live_stack.token(Role.AUDITOR, '510822000000')}"}
    draft = synthesizer.household(*VILLAGE).model_dump(mode="json", exclude_none=True)
    async with httpx.AsyncClient(base_url=live_stack.gateway_url, timeout=WAIT_SECONDS) as client:
        created = await client.post("/api/v1/households", json=draft, headers=clerk)
        assert created.status_code == 201, created.text
        household_id = created.json()["id"]
        subject = f"household/{household_id}"

        client.headers.update(auditor)
        # The event: what changed.
        item = await _entry_for(client, subject)
        assert item["entry"]["event"]["type"] == "registry.household.registered"
        assert item["entry"]["event"]["subject"] == subject
        await _assert_proven(client, item)
        # The write: who asked for it, through which route, with what outcome.
        write = await _request_record(client, created.headers["x-request-id"])
        record = write["entry"]["event"]
        assert (record["actor"], record["data"]["role"]) == ("stack-village_clerk", "village_clerk")
        assert (record["data"]["method"], record["data"]["route"]) == ("POST", "/api/v1/households")
        assert (record["data"]["status"], record["data"]["target_id"]) == (201, household_id)
        assert record["data"]["division_code"] == VILLAGE[0]
        assert record["time"]
        await _assert_proven(client, write)


async def test_a_write_request_through_the_gateway_is_in_the_audit_log_with_its_request_id(
    live_stack: Stack, synthesizer: Synthesizer
) -> None:
    clerk = {"Authorization": f"Bearer {live_stack.token(Role.VILLAGE_CLERK, VILLAGE[0])}"}
    auditor = {"Authorization": f"Bearer {live_stack.token(Role.AUDITOR, '510822000000')}"}
    draft = synthesizer.household(*VILLAGE).model_dump(mode="json", exclude_none=True)
    draft["annual_net_income_fen"] = -1  # refused: the attempt is logged all the same
    async with httpx.AsyncClient(base_url=live_stack.gateway_url, timeout=WAIT_SECONDS) as client:
        refused = await client.post("/api/v1/households", json=draft, headers=clerk)
        assert refused.status_code == 422, refused.text
        request_id = refused.headers["x-request-id"]

        client.headers.update(auditor)
        event = (await _request_record(client, request_id))["entry"]["event"]
        assert event["actor"] == "stack-village_clerk"
        assert event["data"]["status"] == 422
        assert event["data"]["role"] == "village_clerk"
        assert event["data"]["division_code"] == VILLAGE[0]
