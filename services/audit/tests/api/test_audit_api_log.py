"""Events on the bus become log entries: hashed canonically, once each, visible by jurisdiction."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from audit.domain.canonical import canonical_json
from audit.domain.merkle import leaf_hash

AuditApi = Any  # the ``audit_api`` fixture (conftest.py): client, bus and tokens
EventFactory = Callable[..., Any]
LUCHANG = "510822104201"  # 炉场村 in 茶坝乡, the township user's jurisdiction
ELSEWHERE = "510822105201"  # a village of another township
CHABA = "510822104000"


async def test_a_published_event_becomes_entry_zero_with_its_leaf_hash(
    audit_api: AuditApi, event_about: EventFactory
) -> None:
    event = event_about(LUCHANG)
    await audit_api.bus.publish(event)
    (item,) = await audit_api.entries("auditor")
    assert item["index"] == 0
    assert item["entry"]["kind"] == "event"
    assert item["entry"]["event"] == json.loads(event.to_json())
    assert item["entry"]["recorded_at"].endswith("Z")
    expected = leaf_hash(canonical_json(item["entry"]))
    assert base64.b64decode(item["leaf_hash"]) == expected


async def test_a_redelivered_event_is_appended_once(audit_api: AuditApi, event_about: EventFactory) -> None:
    event = event_about(LUCHANG)
    await audit_api.bus.publish(event)
    await audit_api.bus.publish(event)
    await audit_api.bus.publish(event_about(LUCHANG, "hh-2"))
    items = await audit_api.entries("auditor")
    assert [i["index"] for i in items] == [0, 1]
    assert items[0]["entry"]["event"]["id"] == event.id


async def test_township_users_see_their_jurisdiction_auditors_everything(
    audit_api: AuditApi, event_about: EventFactory
) -> None:
    await audit_api.bus.publish(event_about(LUCHANG, "inside"))
    await audit_api.bus.publish(event_about(ELSEWHERE, "outside"))
    await audit_api.bus.publish(event_about(CHABA, "no-division", data={"note": "none"}))
    township = await audit_api.entries("township")
    assert [i["entry"]["event"]["subject"] for i in township] == ["inside"]
    assert len(await audit_api.entries("auditor")) == 3
    assert len(await audit_api.entries("admin")) == 3


async def test_filters_and_cursor_pages(audit_api: AuditApi, event_about: EventFactory) -> None:
    for n in range(5):
        await audit_api.bus.publish(event_about(LUCHANG, f"hh-{n % 2}", actor=f"user-{n}"))
    assert [i["index"] for i in await audit_api.entries("auditor", subject="hh-1")] == [1, 3]
    assert [i["index"] for i in await audit_api.entries("auditor", actor="user-4")] == [4]
    assert await audit_api.entries("auditor", type="other.type") == []
    r = await audit_api.get("auditor", "/api/v1/audit/entries", limit=2)
    first = r.json()
    assert [i["index"] for i in first["items"]] == [0, 1]
    r = await audit_api.get("auditor", "/api/v1/audit/entries", limit=2, cursor=first["next_cursor"])
    assert [i["index"] for i in r.json()["items"]] == [2, 3]


async def test_every_route_needs_a_token(audit_api: AuditApi, event_about: EventFactory) -> None:
    for path in ("entries", "tree-head", "key", "proofs/inclusion?index=0&tree_size=1"):
        r = await audit_api.client.get(f"/api/v1/audit/{path}")
        assert r.status_code == 401, path


async def test_there_is_no_way_to_change_an_entry(audit_api: AuditApi, event_about: EventFactory) -> None:
    await audit_api.bus.publish(event_about(LUCHANG))
    headers = audit_api.auth("admin")
    for method in ("PUT", "PATCH", "DELETE"):
        r = await audit_api.client.request(method, "/api/v1/audit/entries", headers=headers)
        assert r.status_code == 405, method
