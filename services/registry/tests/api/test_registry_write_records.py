"""Every write request the registry answers, accepted or refused, leaves a record for the audit log."""

from __future__ import annotations

import json
from typing import Any

from registry.synth import Synthesizer

LUCHANG = "510822104201"


async def _records(registry: Any) -> list[dict[str, Any]]:
    rows = await registry.rows(
        "SELECT payload FROM outbox WHERE event_type = 'registry.request.handled' ORDER BY id"
    )
    return [json.loads(row[0]) for row in rows]


async def test_accepted_and_refused_writes_are_recorded_reads_are_not(registry: Any) -> None:
    draft = next(iter(Synthesizer(seed=3).households(1, [(LUCHANG, "炉场村")]))).model_dump(mode="json")
    headers = {**registry.auth("clerk"), "X-Request-ID": "req-accepted"}
    created = await registry.client.post("/api/v1/households", json=draft, headers=headers)
    assert created.status_code == 201, created.text
    refused = await registry.client.post(
        "/api/v1/households",
        json={**draft, "annual_net_income_fen": -1},
        headers={**registry.auth("clerk"), "X-Request-ID": "req-refused"},
    )
    assert refused.status_code == 422
    anonymous = await registry.client.post("/api/v1/households", json=draft)
    assert anonymous.status_code == 401
    read = await registry.client.get(f"/api/v1/households/{created.json()['id']}", headers=headers)
    assert read.status_code == 200

    records = await _records(registry)
    assert [(r["data"]["status"], r["data"]["request_id"]) for r in records[:2]] == [
        (201, "req-accepted"),
        (422, "req-refused"),
    ]
    accepted = records[0]
    assert accepted["actor"] == "clerk" and accepted["requestid"] == "req-accepted"
    assert accepted["data"] | {"request_id": None} == {
        "method": "POST",
        "route": "/api/v1/households",
        "path": "/api/v1/households",
        "target_id": created.json()["id"],
        "status": 201,
        "request_id": None,
        "role": "village_clerk",
        "division_code": LUCHANG,
    }
    assert records[1]["data"]["target_id"] is None  # refused: nothing was created
    assert records[2]["actor"] is None and records[2]["data"]["status"] == 401
    assert len(records) == 3  # the GET left none


async def test_route_template_names_the_resource_not_the_instance(registry: Any) -> None:
    missing = "01900000-0000-7000-8000-000000000000"
    response = await registry.client.delete(
        f"/api/v1/households/{missing}/members/{missing}",
        params={"reason": "搬迁"},
        headers=registry.auth("clerk"),
    )
    assert response.status_code == 404
    (record,) = await _records(registry)
    assert record["data"]["route"] == "/api/v1/households/{household_id}/members/{member_id}"
    assert record["data"]["path"].endswith(missing)
    assert record["data"]["target_id"] == missing  # the last id in the path
