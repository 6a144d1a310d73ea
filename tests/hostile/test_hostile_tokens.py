"""Bad tokens on every secured route of the merged OpenAPI: all 401 problem+json, nothing changed.

Expired, signed with another key, ``alg: none``, for another audience or issuer, without
``sub``, garbage, or none at all — each sent to the gateway and, bypassing it, straight to the
service that owns the route (every service verifies tokens itself). The routes come from the
document (operations whose ``security`` names the bearer scheme), so a new route is swept too.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from gateway.aggregate_routes import router as aggregate_router
from gateway.auth_routes import router as auth_router
from gateway.routing import upstream_for
from jzkit.testing.stack import Stack
from tests.hostile import dbstate, report, tokens
from tests.hostile.routes import routes
from tests.hostile.sweep import problem_of, send
from tests.hostile.world import World

pytestmark = pytest.mark.stack
# Routes the gateway answers itself (under a service's prefix, but no service has them).
GATEWAY_OWN = frozenset(getattr(r, "path", "") for r in (*aggregate_router.routes, *auth_router.routes))


def test_every_secured_route_refuses_every_bad_token(
    hostile_stack: Stack, openapi: dict[str, Any], victims: World
) -> None:
    secured = [route for route in routes(openapi) if route.secured]
    assert len(secured) > 50, "the document names the bearer scheme on (almost) every route"
    bad = tokens.bad_tokens(hostile_stack.common)
    before = dbstate.settled(hostile_stack)
    tried: Counter[str] = Counter()
    wrong: list[str] = []
    with httpx.Client() as client:
        for route in secured:
            targets = {"gateway": hostile_stack.gateway_url}
            upstream = None if route.path in GATEWAY_OWN else upstream_for(route.path)
            if upstream is not None:  # the gateway's own routes (the dossier) have no service behind
                targets[upstream] = hostile_stack.url(upstream)
            for kind, token in bad.items():
                for target, base in targets.items():
                    response = send(client, base, route, victims, tokens.header(token))
                    tried[target] += 1
                    if response.status_code != 401:
                        wrong.append(f"{route.label} via {target} with {kind}: {response.status_code}")
                        continue
                    problem = problem_of(response)
                    assert problem["code"] in ("invalid-token", "missing-token"), (route.label, kind, problem)
                    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
    after = dbstate.settled(hostile_stack)
    report.add(
        f"bad tokens: {len(secured)} secured routes x {len(bad)} token kinds = "
        f"{len(secured) * len(bad)} via the gateway, {tried['gateway']} sent there and "
        f"{sum(tried.values()) - tried['gateway']} straight to the services; {len(wrong)} not refused"
    )
    assert wrong == [], "\n".join(wrong[:40])
    assert dbstate.changes(before, after) == []


def test_the_sweeps_requests_pass_with_a_valid_token(
    hostile_stack: Stack, openapi: dict[str, Any], victims: World
) -> None:
    """The control: the reads above, with the one flaw removed, are answered (so 401 meant the token)."""
    reads = [route for route in routes(openapi) if route.secured and route.method == "GET"]
    header = tokens.header(tokens.valid(hostile_stack.common))
    refused: list[str] = []
    with httpx.Client() as client:
        for route in reads:
            response = send(client, hostile_stack.gateway_url, route, victims, header)
            if response.status_code in (401, 403) or response.status_code >= 500:
                refused.append(f"{route.label}: {response.status_code} {response.text[:200]}")
    assert reads and refused == [], "\n".join(refused)
