"""Every route × every role × own/other jurisdiction, generated from ``gateway.route_roles``.

The routes come from each embedded service's OpenAPI document and the gateway's own: a route
without a rule, or a rule without a route, fails. GET routes are called with real objects (a
household under notice, its case and policy); write routes with an empty body, so for them the
matrix checks authentication and that a refused role never succeeds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.openapi.utils import get_openapi

from gateway.route_roles import ROUTE_ROLES, Rule
from jzkit.auth import Role, issue_token
from jzkit.settings import CommonSettings

Api = Any
LUCHANG = "510822104201"
CHABA = "510822104000"
OWN = CHABA  # every role's token for "own" covers 茶坝乡, where the test household lives
OTHER = "510822100000"
NO_SUCH_ID = "00000000-0000-7000-8000-000000000000"
QUERIES: dict[str, dict[str, str]] = {
    "/api/v1/public/fund-use": {"division": LUCHANG},
    "/api/v1/public/board": {"division": CHABA},
    "/api/v1/audit/proofs/inclusion": {"index": "0", "tree_size": "1"},
    "/api/v1/audit/proofs/consistency": {"first": "1", "second": "1"},
}
FULL_ID = re.compile(r"\b\d{17}[\dX]\b")


@dataclass
class World:
    """The objects the matrix calls routes with."""

    household: dict[str, Any]
    case: dict[str, Any]

    def url(self, path: str) -> tuple[str, bool]:
        """``path`` with its parameters filled; True when every parameter names a real object."""
        real = {
            "household_id": self.household["id"],
            "member_id": self.household["members"][0]["id"],
            "case_id": self.case["id"],
            "notice_id": self.case["id"],
            "policy_id": self.case["policy_id"],
            "code": LUCHANG,
        }
        names = re.findall(r"\{(\w+)\}", path)
        for name in names:
            path = path.replace("{" + name + "}", real.get(name, NO_SUCH_ID))
        return path, all(n in real for n in names)


def subject(role: Role, jurisdiction: str) -> str:
    return f"matrix-{role.value}-{jurisdiction}"


def others_data(response: Any, division: str) -> str:
    """What a response shows beyond the records of requests made from ``division`` itself.

    The audit log files each write request under the caller's division: the other township's own
    attempts on the household (refused, but recorded with the path they named) are its to read.
    """
    if not response.request.url.path.startswith("/api/v1/audit/entries"):
        return str(response.text)
    items = [
        item
        for item in response.json()["items"]
        if not (
            item["entry"]["event"]["type"].endswith(".request.handled")
            and str(item["entry"]["event"].get("actor", "")).endswith(f"-{division}")
        )
    ]
    return json.dumps(items)


def token(role: Role, jurisdiction: str) -> dict[str, str]:
    value = issue_token(CommonSettings(mode="embedded"), subject(role, jurisdiction), role, jurisdiction)
    return {"Authorization": f"Bearer {value}"}


async def routes_of(api: Api) -> set[tuple[str, str]]:
    """Every ``/api/`` route of every embedded service and of the gateway itself."""
    found: set[tuple[str, str]] = set()
    docs = [service.openapi() for service in api.services.values()]
    docs.append(get_openapi(title="gw", version="1", routes=api.app.routes))
    for doc in docs:
        for path, item in doc["paths"].items():
            if path.startswith("/api/"):
                found |= {(method.upper(), path) for method in item}
    return found


async def test_every_route_has_a_rule_and_every_rule_a_route(api: Api) -> None:
    routes = await routes_of(api)
    assert sorted(routes - ROUTE_ROLES.keys()) == [], "routes without a rule in gateway/route_roles.py"
    assert sorted(ROUTE_ROLES.keys() - routes) == [], "rules for routes that no longer exist"


async def call(api: Api, method: str, url: str, headers: dict[str, str], query: dict[str, str]) -> Any:
    body: dict[str, Any] | None = None if method == "GET" else {}
    return await api.client.request(method, url, headers=headers, params=query, json=body)


@pytest.fixture
async def world(api: Api, under_notice: Any) -> World:
    household, case = await under_notice(api)
    return World(household, case)


async def test_the_matrix(api: Api, world: World) -> None:
    failures: list[str] = []
    checked = 0
    for (method, path), rule in sorted(ROUTE_ROLES.items()):
        url, real = world.url(path)
        query = QUERIES.get(path, {})
        failures += await _check_route(api, world, method, url, real, query, rule)
        checked += 1
    assert checked == len(ROUTE_ROLES)
    assert failures == [], "\n".join(failures)


async def _check_route(
    api: Api, world: World, method: str, url: str, real: bool, query: dict[str, str], rule: Rule
) -> list[str]:
    failures: list[str] = []

    def expect(ok: bool, what: str, status: int) -> None:
        if not ok:
            failures.append(f"{method} {url}: {what}, got {status}")

    if rule.roles is None:
        r = await call(api, method, url, {}, query)
        expect(r.status_code not in (401, 403), "public route refused an anonymous caller", r.status_code)
        return failures
    r = await call(api, method, url, {}, query)
    expect(r.status_code == 401, "no token must be 401", r.status_code)
    for role in Role:
        allowed = role in rule.roles
        own = await call(api, method, url, token(role, OWN), query)
        other = await call(api, method, url, token(role, OTHER), query)
        if method != "GET":
            expect(not (200 <= own.status_code < 300) or allowed, f"{role} must not succeed", own.status_code)
            expect(own.status_code != 403 or not allowed, f"{role} is allowed, not 403", own.status_code)
            outside = other.status_code
            expect(not (200 <= outside < 300), f"{role} outside the jurisdiction", outside)
            continue
        if not allowed:
            expect(own.status_code in (403, 404), f"{role} must be refused", own.status_code)
            continue
        expect(own.status_code not in (401, 403), f"{role} is allowed", own.status_code)
        if rule.scope == "object" and real:
            expect(own.status_code == 200, f"{role} reads its own object", own.status_code)
            expect(other.status_code in (403, 404), f"{role} of another township", other.status_code)
        if other.status_code == 200 and role not in rule.everywhere:
            shown = others_data(other, OTHER)
            expect(world.household["id"] not in shown, f"{role} of another township sees it", 200)
    return failures


# Who sees full numbers where: (full ID number roles, full card number roles) per response.
REGISTRY_VIEW = (
    frozenset({Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER, Role.ADMIN, Role.SYSTEM}),
    frozenset({Role.FUNDS_OFFICER, Role.ADMIN, Role.SYSTEM}),
)
MASKING = {
    "/api/v1/households/{id}": REGISTRY_VIEW,
    "/api/v1/households/{id}/dossier": REGISTRY_VIEW,  # the registry's part, as the caller may see it
    # funds shows the card to funds officers only (admin and system see it masked there).
    "/api/v1/roster/{id}": (frozenset(), frozenset({Role.FUNDS_OFFICER})),
}


@pytest.mark.parametrize("role", list(Role))
async def test_id_and_bank_numbers_are_masked_by_role(api: Api, world: World, role: Role) -> None:
    """Every response carrying ID or card numbers shows them whole only to the roles that need them."""
    draft = world.household["draft"]
    id_numbers = {m["id_number"] for m in draft["members"]}
    card_number = draft["bank_account"]["account_number"]
    for template, (full_id_roles, full_card_roles) in MASKING.items():
        url = template.replace("{id}", world.household["id"])
        r = await api.client.get(url, headers=token(role, OWN))
        assert r.status_code == 200, (url, r.text)
        shown = set(FULL_ID.findall(r.text))
        assert shown == (id_numbers if role in full_id_roles else set()), (role, url, shown)
        assert (card_number in r.text) == (role in full_card_roles), (role, url)
        assert card_number[-4:] in r.text  # masked, not left out: the last digits identify the card
