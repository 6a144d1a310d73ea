"""Objects of 炉场村 reached for from other villages, townships, counties and a province: all refused.

The victims are real (a household through the whole procedure, its case, grant, loan, batch,
import job, re-review and village facts). Each outsider replays the owners' own requests — valid
bodies, the current ETag — on every jurisdiction-bound route of the merged OpenAPI that names an
object in its path, every route whose body names the victims, and every list filtered by the
victims' division or household: 404 for objects outside the jurisdiction, 403 for a role or a
named division (docs/decisions/0005); never a 2xx carrying the victims, never a 5xx; and
nothing changes. Routes are read from the document, rules from ``gateway.route_roles``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.route_roles import rule_for
from jzkit.auth import Role
from jzkit.testing.stack import Stack
from tests.hostile import dbstate, report
from tests.hostile.routes import Route, routes
from tests.hostile.sweep import problem_of, send
from tests.hostile.world import TOWNSHIP, VILLAGE, World

pytestmark = pytest.mark.stack

OTHER_COUNTY = "510821000000"  # 旺苍县: a county of the same prefecture with nothing in it
OUTSIDERS: dict[str, tuple[Role, str]] = {
    "clerk of 兴龙村 (same township)": (Role.VILLAGE_CLERK, "510822104202"),
    "clerk of 城郊村 (other township)": (Role.VILLAGE_CLERK, "510822100201"),
    "reviewer of 乔庄镇": (Role.TOWNSHIP_REVIEWER, "510822100000"),
    "approver of 旺苍县": (Role.COUNTY_APPROVER, OTHER_COUNTY),
    "funds officer of 旺苍县": (Role.FUNDS_OFFICER, OTHER_COUNTY),
    "auditor of 旺苍县": (Role.AUDITOR, OTHER_COUNTY),
    "admin of 贵州省": (Role.ADMIN, "520000000000"),
    "system client of 贵州省": (Role.SYSTEM, "520000000000"),
}
OWNER = Role.TOWNSHIP_REVIEWER
REFUSED = frozenset({403, 404})
DIVISION_PARAMS = ("division", "division_code")


def _bound(route: Route) -> bool:
    rule = rule_for(route.method, route.path)
    assert rule is not None, f"{route.label} has no rule in gateway/gateway/route_roles.py"
    return rule.roles is not None and rule.scope == "object"


def _object_routes(doc: dict[str, Any], victims: World) -> list[Route]:
    """Jurisdiction-bound routes naming an object in the path, or with a request naming the victims."""
    return [r for r in routes(doc) if _bound(r) and (r.path_params or r.label in victims.requests)]


def _filtered_lists(doc: dict[str, Any]) -> list[tuple[Route, str, str]]:
    """(route, query parameter, victim value) for reads filtered by the victims' division or household."""
    found = []
    for route in routes(doc):
        if not route.secured or route.method != "GET" or route.path_params:
            continue
        for param in route.query_params:
            if param in DIVISION_PARAMS:
                found.append((route, param, VILLAGE))
            elif param == "household_id":
                found.append((route, param, "household_id"))
    return found


def test_other_jurisdictions_cannot_reach_the_victims(
    hostile_stack: Stack, openapi: dict[str, Any], victims: World
) -> None:
    objects = _object_routes(openapi, victims)
    lists = _filtered_lists(openapi)
    assert objects and lists
    unknown = sorted({p for r in objects for p in r.path_params if p not in victims.ids})
    ids = victims.ids
    before = dbstate.settled(hostile_stack)
    wrong: list[str] = []
    tried = 0
    with httpx.Client() as client:
        for who, (role, division) in OUTSIDERS.items():
            headers = {
                "Authorization": f"Bearer {hostile_stack.token(role, division, f'outsider-{role.value}')}"
            }
            for route in objects:
                response = send(client, hostile_stack.gateway_url, route, victims, headers)
                tried += 1
                if response.status_code not in REFUSED:
                    wrong.append(f"{who}: {route.label} → {response.status_code} {response.text[:160]}")
                else:
                    problem_of(response)
            for route, param, value in lists:
                query = ids[value] if value in ids else value
                response = client.get(
                    hostile_stack.gateway_url + route.path, params={param: query}, headers=headers, timeout=30
                )
                tried += 1
                leaked = response.status_code < 300 and any(v in response.text for v in _victim_ids(ids))
                if (response.status_code >= 300 and response.status_code not in REFUSED) or leaked:
                    wrong.append(
                        f"{who}: {route.label}?{param}={query} → {response.status_code} {response.text[:160]}"
                    )
    after = dbstate.settled(hostile_stack)
    report.add(
        f"other jurisdictions: {len(OUTSIDERS)} outsiders x ({len(objects)} object routes + "
        f"{len(lists)} filtered lists) = {tried} requests on the victims of {VILLAGE}/{TOWNSHIP}; "
        f"{len(wrong)} not refused; path parameters without a real victim (random ids): {unknown or 'none'}"
    )
    assert wrong == [], "\n".join(wrong[:40])
    assert dbstate.changes(before, after) == []


def _victim_ids(ids: dict[str, str]) -> list[str]:
    """The victims' object ids (not the codes and program names anyone may know)."""
    return [v for k, v in ids.items() if k not in ("code", "program_id", "policy_id")]


def test_the_owners_reach_the_victims(hostile_stack: Stack, openapi: dict[str, Any], victims: World) -> None:
    """The control: the same reads from the victims' own township are answered (so 404 meant jurisdiction).

    The township reviewer of 茶坝乡 covers every victim: the village's objects and the township's
    (its budget, batch and re-review, which the village clerk does not see).
    """
    headers = {"Authorization": f"Bearer {hostile_stack.token(OWNER, TOWNSHIP)}"}
    reads = [
        r
        for r in _object_routes(openapi, victims)
        if r.method == "GET" and set(r.path_params) <= victims.ids.keys()
    ]
    refused = []
    with httpx.Client() as client:
        for route in reads:
            response = send(client, hostile_stack.gateway_url, route, victims, headers)
            rule = rule_for(route.method, route.path)
            allowed = rule is not None and rule.roles is not None and OWNER in rule.roles
            if allowed and response.status_code != 200:
                refused.append(f"{route.label}: {response.status_code} {response.text[:160]}")
    assert reads and refused == [], "\n".join(refused)
