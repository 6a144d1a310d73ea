"""一户一档 through the gateway: every part fetched with the caller's token; failures named, not fatal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

Api = Any  # the ``api`` fixture (conftest.py)
Problem = Callable[..., dict[str, Any]]
PARTS = ("household", "assessment", "cases", "roster", "grants", "payments", "audit")


async def test_dossier_of_a_household_under_review(api: Api, under_notice: Any, wait_ok: Any) -> None:
    household, case = await under_notice(api)
    await wait_ok(api, "county", f"/api/v1/roster/{household['id']}")  # funds' projection caught up
    r = await api.get("county", f"/api/v1/households/{household['id']}/dossier")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert set(doc) == {"household_id", "missing", *PARTS}
    assert doc["household"]["id"] == household["id"] and doc["household"]["status"] == "under_review"
    assert doc["assessment"]["household_id"] == household["id"]
    assert [c["id"] for c in doc["cases"]] == [case["id"]]
    assert doc["grants"] == [] and doc["payments"] == []
    assert doc["roster"]["locked_in"] is False  # under review, not yet locked in
    assert doc["missing"] == []
    assert isinstance(doc["audit"], list)


async def test_dossier_carries_the_audit_trail(
    api: Api, new_household: Callable[..., dict[str, Any]]
) -> None:
    created = await api.post("clerk", "/api/v1/households", json=new_household())
    assert created.status_code == 201
    household_id = created.json()["id"]
    await api.events.wait_for("registry.household.registered")
    for _ in range(100):
        doc = (await api.get("auditor", f"/api/v1/households/{household_id}/dossier")).json()
        if doc["audit"]:
            break
    types = [e["entry"]["event"]["type"] for e in doc["audit"]]
    assert "registry.household.registered" in types, types


async def test_dossier_outside_the_jurisdiction_is_404(api: Api, expect_problem: Problem) -> None:
    household = await api.first_household("county", "510822104000")
    r = await api.get("township2", f"/api/v1/households/{household['id']}/dossier")
    expect_problem(r, 404, "household-not-found")
    expect_problem(await api.get("county", "/api/v1/households/nope/dossier"), 404, "household-not-found")


async def test_dossier_needs_a_token(api: Api, expect_problem: Problem) -> None:
    household = await api.first_household("county", "510822104000")
    expect_problem(await api.get(None, f"/api/v1/households/{household['id']}/dossier"), 401, "missing-token")


async def test_a_service_down_is_a_missing_part(api: Api, under_notice: Any) -> None:
    household, _ = await under_notice(api)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    api.replace_upstream("audit", refused)
    api.replace_upstream("funds", slow)
    r = await api.get("county", f"/api/v1/households/{household['id']}/dossier")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["household"]["id"] == household["id"]
    assert (
        doc["audit"] is None and doc["roster"] is None and doc["grants"] is None and doc["payments"] is None
    )
    assert doc["assessment"]["household_id"] == household["id"] and len(doc["cases"]) == 1
    missing = {m["part"]: (m["error"], m["status"]) for m in doc["missing"]}
    assert missing == {
        "audit": ("unavailable", None),
        "grants": ("timeout", None),
        "payments": ("timeout", None),
        "roster": ("timeout", None),
    }


async def test_registry_down_fails_the_dossier(api: Api, expect_problem: Problem) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    api.replace_upstream("registry", refused)
    expect_problem(await api.get("county", "/api/v1/households/any/dossier"), 502, "dossier-unavailable")


async def test_grants_and_payments_are_asked_for_the_household_alone(api: Api) -> None:
    household = await api.first_household("county", "510822104000")
    first = {"id": "g1", "household_id": household["id"], "status": "paid"}
    second = {"id": "g2", "household_id": household["id"], "status": "applied"}
    payment = {"id": "p1", "grant_id": "g1", "status": "paid", "account_masked": "6230********1234"}
    seen: list[httpx.Request] = []

    def funds(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/grants":
            if request.url.params.get("cursor") is None:
                return httpx.Response(200, json={"items": [first], "next_cursor": "p2"})
            return httpx.Response(200, json={"items": [second], "next_cursor": None})
        if request.url.path == "/api/v1/payments":
            return httpx.Response(200, json={"items": [payment]})
        return httpx.Response(200, json={"household_id": household["id"], "locked_in": True})

    api.replace_upstream("funds", funds)
    doc = (await api.get("county", f"/api/v1/households/{household['id']}/dossier")).json()
    assert doc["grants"] == [first, second] and doc["payments"] == [payment]
    assert doc["roster"]["locked_in"] is True
    asked = [r for r in seen if r.url.path in ("/api/v1/grants", "/api/v1/payments")]
    assert {r.url.params["household_id"] for r in asked} == {household["id"]}
    assert all(r.headers["authorization"].startswith("Bearer ") for r in seen)
