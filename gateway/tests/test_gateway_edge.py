"""The gateway's own surface: health, readiness, metrics, merged OpenAPI, routing, request ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Api = Any  # the ``api`` fixture (conftest.py): gateway client, event recorder, registry state
Factory = Callable[..., dict[str, Any]]
Problem = Callable[..., dict[str, Any]]


async def test_healthz(api: Api) -> None:
    r = await api.client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "service": "gateway"}


async def test_readyz_follows_the_upstreams(api: Api) -> None:
    r = await api.client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"upstreams": "ok"}}

    async def database_down() -> None:
        raise ConnectionError("database unreachable")

    api.registry_app.state.runtime.check_database = database_down
    r = await api.client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"
    assert r.json()["checks"]["upstreams"] == "RuntimeError: registry: 503"


def series(text: str, **wanted: str) -> list[float]:
    """Values of ``jz_http_requests_total`` samples whose labels include ``wanted``."""
    values = []
    for labels, value in re.findall(r"^jz_http_requests_total\{(.*)\} (\S+)$", text, re.MULTILINE):
        found = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if wanted.items() <= found.items():
            values.append(float(value))
    return values


async def test_metrics_carry_gateway_and_registry_series(api: Api) -> None:
    household = await api.first_household("county", "510822104000")
    assert (await api.get("county", f"/api/v1/households/{household['id']}")).status_code == 200
    r = await api.client.get("/metrics")
    assert r.status_code == 200
    assert series(r.text, service="gateway", route="/api/v1/{path:path}", method="GET", status="200")
    assert series(r.text, service="registry", route="/api/v1/households/{household_id}", status="200")
    assert series(r.text, service="gateway", route="/api/v1/auth/token", method="POST", status="200")
    assert household["id"] not in r.text
    assert "jz_outbox_pending" in r.text


async def test_openapi_is_merged(api: Api) -> None:
    r = await api.client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    paths = doc["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/households",
        "/api/v1/households/{household_id}",
        "/api/v1/households/{household_id}/members",
        "/api/v1/divisions/{code}",
    ):
        assert path in paths, path
    assert "post" in paths["/api/v1/households"] and "get" in paths["/api/v1/households"]
    assert "HouseholdDraft" in doc["components"]["schemas"]
    assert "/healthz" not in paths
    # The gateway's own answers when the service behind a route fails are documented on every route.
    for method, operation in paths["/api/v1/households/{household_id}"].items():
        assert {"502", "504"} <= operation["responses"].keys(), method
        assert "application/problem+json" in operation["responses"]["502"]["content"]
    assert {"502", "504"} <= paths["/api/v1/households/{household_id}/dossier"]["get"]["responses"].keys()
    assert "502" in paths["/api/v1/public/board"]["get"]["responses"]
    assert "502" not in paths["/api/v1/auth/token"]["post"]["responses"], "answered by the gateway alone"


async def test_unknown_api_path_is_a_404_problem(api: Api, expect_problem: Problem) -> None:
    body = expect_problem(await api.get("county", "/api/v1/nothing"), 404, "route-not-found")
    assert body["instance"] == "/api/v1/nothing"
    expect_problem(await api.client.get("/nothing"), 404, "not-found")
    # A path that only starts like a routed prefix is not routed.
    expect_problem(await api.get("county", "/api/v1/householdsXYZ"), 404, "route-not-found")


async def test_request_id_is_forwarded_and_echoed(api: Api, new_household: Factory) -> None:
    r = await api.post(
        "clerk",
        "/api/v1/households",
        json=new_household("510822104201"),
        headers={"X-Request-ID": "trace-42"},
    )
    assert r.status_code == 201
    assert r.headers.get_list("x-request-id") == ["trace-42"]  # the upstream's copy is not doubled
    (event,) = await api.events.wait_for("registry.household.registered")
    assert event.requestid == "trace-42"  # the registry saw the gateway's id


async def test_request_id_is_generated_when_absent(api: Api, new_household: Factory) -> None:
    r = await api.post("clerk", "/api/v1/households", json=new_household("510822104201"))
    generated = r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f-]{36}", generated)
    (event,) = await api.events.wait_for("registry.household.registered")
    assert event.requestid == generated
    problem = await api.get(None, "/api/v1/households", headers={"X-Request-ID": "err-1"})
    assert problem.status_code == 401 and problem.headers.get_list("x-request-id") == ["err-1"]
