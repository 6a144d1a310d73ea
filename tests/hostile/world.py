"""The victims: one household of 炉场村 and everything hanging off it, made by their rightful owners.

The village clerk registers the household and applies; the household goes through the whole
procedure (one-second notices) and is locked in; funds gives it a grant, a loan and a batch; the
clerk imports the template, the township reviewer runs a dry re-review, the county sets the
village's facts. Every id is kept by the name of the path parameter that carries it, with the
requests the owners may send, so the other-jurisdiction sweep can replay them as outsiders.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from funds.domain.iso20022.pain002 import TxStatus, build_pain002
from funds.testing import industry_program
from identification.policies import DEFAULT, document
from jzkit.auth import Role
from jzkit.testing.stack import Stack
from registry.synth import Synthesizer

VILLAGE = "510822104201"  # 炉场村, 茶坝乡, 青川县
VILLAGE_NAME = "炉场村"
TOWNSHIP = "510822104000"
COUNTY = "510822000000"
NOTICE = "PT1S"  # seconds, not days: the notices run out while the world is built
PROGRAM = "hostile-industry-2026"
FARMING_FEN = 200_000
SYNTH_SEED = 80_808
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.2
# (owner, steps it approves in a row) in the identification procedure's order.
PROCEDURE = (("clerk", 2), ("township", 2), ("county", 3))
# The rightful owners of the victims: role and jurisdiction.
OWNERS: dict[str, tuple[Role, str]] = {
    "clerk": (Role.VILLAGE_CLERK, VILLAGE),
    "township": (Role.TOWNSHIP_REVIEWER, TOWNSHIP),
    "county": (Role.COUNTY_APPROVER, COUNTY),
    "funds": (Role.FUNDS_OFFICER, COUNTY),
    "admin": (Role.ADMIN, COUNTY),
}


@dataclass(frozen=True)
class Request:
    """A request an owner may send: JSON body, raw content, query and headers."""

    json: Any = None
    content: bytes | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    """Ids by path-parameter name, and the owners' requests by route (``METHOD /path``)."""

    ids: dict[str, str] = field(default_factory=dict)
    requests: dict[str, Request] = field(default_factory=dict)


def _check(response: httpx.Response, *expected: int) -> Any:
    assert response.status_code in expected, f"{response.request.url}: {response.status_code} {response.text}"
    return response.json() if "json" in response.headers.get("content-type", "") else response.text


def _until(what: str, attempt: Callable[[], Any]) -> Any:
    """``attempt()`` until it returns something other than None (bounded in time)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        result = attempt()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not done in {WAIT_SECONDS:.0f} s")
        time.sleep(POLL_SECONDS)


class Builder:
    """Makes the victims through the gateway, each step as its owner."""

    def __init__(self, stack: Stack, client: httpx.Client) -> None:
        self.client = client
        self.who = {
            name: {"Authorization": f"Bearer {stack.token(role, division)}"}
            for name, (role, division) in OWNERS.items()
        }
        self.world = World()
        self.synth = Synthesizer(seed=SYNTH_SEED)

    def call(self, owner: str, method: str, url: str, *expected: int, **kwargs: Any) -> Any:
        """One request as ``owner``; asserts its status."""
        headers = {**self.who[owner], **kwargs.pop("headers", {})}
        return _check(self.client.request(method, url, headers=headers, **kwargs), *expected)

    def step(self, owner: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """A transition, waiting out a running notice (409) as a reviewer would."""

        def attempt() -> dict[str, Any] | None:
            response = self.client.post(url, json=body, headers=self.who[owner])
            if response.status_code == 409:
                return None
            return dict(_check(response, 200))

        return dict(_until(f"{owner} {body['action']} {url}", attempt))

    def build(self) -> World:
        """Every victim, in dependency order."""
        self.household()
        self.locked_in()
        self.grant_and_batch()
        self.loan()
        self.import_job()
        self.review()
        self.village_facts()
        return self.world

    def household(self) -> None:
        draft = self.synth.household(VILLAGE, VILLAGE_NAME).model_dump(mode="json", exclude_none=True)
        created = self.call("clerk", "POST", "/api/v1/households", 201, json=draft)
        ids = self.world.ids
        ids["household_id"] = created["id"]
        ids["member_id"] = next(m["id"] for m in created["members"] if m["relation"] != "head")
        ids["code"] = VILLAGE
        # What the clerk would send for the next household of the village: outsiders must not.
        other = self.synth.household(VILLAGE, VILLAGE_NAME).model_dump(mode="json", exclude_none=True)
        self.world.requests["POST /api/v1/households"] = Request(json=other)

    def _if_match(self) -> dict[str, str]:
        response = self.client.get(
            f"/api/v1/households/{self.world.ids['household_id']}", headers=self.who["clerk"]
        )
        _check(response, 200)
        return {"If-Match": response.headers["ETag"]}

    def locked_in(self) -> None:
        policy = document(DEFAULT)
        policy.update(name="hostile-fast-notices", division_code=COUNTY)
        policy["notices"] = {"first": NOTICE, "second": NOTICE, "county": None}
        body = {"document": policy, "reason": "hostile test"}
        stored = self.call("admin", "POST", "/api/v1/policies", 201, json=body)
        ids = self.world.ids
        ids["policy_id"] = stored["id"]
        household = ids["household_id"]

        def assessed() -> Any:
            response = self.client.get(
                f"/api/v1/households/{household}/assessment",
                params={"policy": ids["policy_id"]},
                headers=self.who["clerk"],
            )
            return None if response.status_code == 404 else _check(response, 200)

        _until("identification's projection of the household", assessed)
        case_body = {
            "household_id": household,
            "kind": "entry",
            "policy": ids["policy_id"],
            "reason": "本人申请",
        }
        case = self.call("clerk", "POST", "/api/v1/cases", 201, json=case_body)
        ids["case_id"] = case["id"]
        self.world.requests["POST /api/v1/cases"] = Request(
            json={"household_id": household, "kind": "exit", "reason": "外部人员尝试"}
        )
        url = f"/api/v1/cases/{case['id']}/transitions"
        for owner, count in PROCEDURE:
            for _ in range(count):
                case = self.step(owner, url, {"action": "approve", "reason": "核实无误"})
        assert case["stage"] == "locked", case
        self.world.requests["POST /api/v1/cases/{case_id}/transitions"] = Request(
            json={"action": "object", "reason": "外部人员异议"}
        )

        def roster() -> Any:
            response = self.client.get(f"/api/v1/roster/{household}", headers=self.who["funds"])
            if response.status_code == 404:
                return None
            entry = _check(response, 200)
            return entry if entry["locked_in"] else None

        _until("funds' roster entry", roster)

        def mirrored() -> Any:
            entry = self.call("clerk", "GET", f"/api/v1/households/{household}", 200)
            return entry if entry["status"] == "poor" else None

        _until("the registry's mirror of the decision", mirrored)

    def grant_and_batch(self) -> None:
        ids = self.world.ids
        program = industry_program(code=PROGRAM, notice=NOTICE, test_only=True)
        stored = self.call("funds", "POST", "/api/v1/programs", 201, json=program)
        ids["program_id"] = stored.get("code", PROGRAM)
        budgets = (
            (COUNTY, {"region": 700_000, "county": 300_000}),
            (TOWNSHIP, {"region": 140_000, "county": 60_000}),
        )
        for division, amounts in budgets:
            body = {"program_id": PROGRAM, "division_code": division, "year": 2026, "amounts_fen": amounts}
            ids["budget_id"] = self.call("funds", "POST", "/api/v1/budgets", 201, json=body)["id"]
        self.world.requests["POST /api/v1/budgets"] = Request(
            json={"program_id": PROGRAM, "division_code": VILLAGE, "year": 2026, "amounts_fen": {"region": 1}}
        )
        application = {
            "program_id": PROGRAM,
            "household_id": ids["household_id"],
            "period": "2026",
            "details": {"industries": ["farming"]},
            "reason": "发展种植",
        }
        grant = self.call("clerk", "POST", "/api/v1/grants", 201, json=application)
        ids["grant_id"] = grant["id"]
        self.world.requests["POST /api/v1/grants"] = Request(json={**application, "period": "2027"})
        url = f"/api/v1/grants/{grant['id']}/transitions"
        self.step("clerk", url, {"action": "verify", "reason": "核实"})
        self.step("township", url, {"action": "publish", "reason": "公示"})
        approved = self.step("township", url, {"action": "approve", "reason": "公示无异议"})
        self.world.requests["POST /api/v1/grants/{grant_id}/transitions"] = Request(
            json={"action": "reject", "reason": "外部人员驳回"}
        )
        batch_body = {
            "program_id": PROGRAM,
            "period": "2026",
            "division_code": TOWNSHIP,
            "payments_count": 1,
            "total_fen": approved["amount_fen"],
            "reason": "第一批",
        }
        batch = self.call("funds", "POST", "/api/v1/batches", 201, json=batch_body)
        ids["batch_id"] = batch["id"]
        self.world.requests["POST /api/v1/batches"] = Request(json={**batch_body, "reason": "外部人员"})
        payment_file = self.call("funds", "GET", f"/api/v1/batches/{batch['id']}/payment-file", 200)
        (end_to_end,) = re.findall(r"<EndToEndId>([^<]+)</EndToEndId>", payment_file)
        # The bank's "paid" report an outsider must not be able to post for this batch.
        report = build_pain002(
            "BANK-HOSTILE-1", datetime.now(UTC), batch["message_id"], [TxStatus(end_to_end, "accepted")]
        )
        self.world.requests["POST /api/v1/batches/{batch_id}/bank-report"] = Request(
            content=report.encode() if isinstance(report, str) else report,
            headers={"Content-Type": "application/xml"},
        )

    def loan(self) -> None:
        body = {
            "borrower_kind": "household",
            "household_id": self.world.ids["household_id"],
            "division_code": VILLAGE,
            "lender": "农村信用社",
            "principal_fen": 5_000_000,
            "annual_rate": "0.0435",
            "start_date": "2026-01-01",
            "end_date": "2029-01-01",
        }
        self.world.ids["loan_id"] = self.call("clerk", "POST", "/api/v1/loans", 201, json=body)["id"]
        self.world.requests["POST /api/v1/loans"] = Request(json={**body, "principal_fen": 9_000_000})

    def import_job(self) -> None:
        template = self.client.get("/api/v1/imports/template.csv", headers=self.who["clerk"])
        files = {"file": ("households.csv", _check(template, 200).encode("utf-8-sig"), "text/csv")}
        job = self.call("clerk", "POST", "/api/v1/imports", 202, files=files)
        self.world.ids["job_id"] = job["id"]

        def finished() -> Any:
            state = self.call("clerk", "GET", f"/api/v1/jobs/{job['id']}", 200)
            return state if state["status"] not in ("queued", "running") else None

        _until("the import job", finished)

    def review(self) -> None:
        body = {"division_code": TOWNSHIP, "year": 2026, "reason": "半年复核", "dry_run": True}
        review = self.call("township", "POST", "/api/v1/reviews", 202, json=body)
        self.world.ids["review_id"] = review["id"]
        self.world.requests["POST /api/v1/reviews"] = Request(json={**body, "dry_run": False})

        def finished() -> Any:
            state = self.call("township", "GET", f"/api/v1/reviews/{review['id']}", 200)
            return state if state["status"] not in ("queued", "running") else None

        _until("the dry re-review", finished)

    def village_facts(self) -> None:
        body = {"collective_income_fen": 120_000, "reason": "村集体收入核定"}
        self.call("county", "PUT", f"/api/v1/villages/{VILLAGE}/facts", 200, json=body)
        self.world.requests["PUT /api/v1/villages/{code}/facts"] = Request(
            json={"collective_income_fen": 1, "reason": "外部人员篡改"}
        )
        self.world.requests["POST /api/v1/quotas"] = Request(
            json={"division_code": VILLAGE, "year": 2026, "people": 1, "reason": "外部人员"}
        )
        self.world.requests["POST /api/v1/spot-checks"] = Request(
            json={
                "division_code": COUNTY,
                "seed": "hostile",
                "per_township": {"percent": 10},
                "reason": "外部人员",
            }
        )

    def owner_writes(self) -> None:
        """The writes on the household itself, with its current ETag (so only jurisdiction can stop them)."""
        if_match = self._if_match()
        member = (
            self.synth.household(VILLAGE, VILLAGE_NAME).members[-1].model_dump(mode="json", exclude_none=True)
        )
        requests = self.world.requests
        requests["PATCH /api/v1/households/{household_id}"] = Request(
            json={"reason": "外部人员改地址", "address": "别处"}, headers=if_match
        )
        requests["POST /api/v1/households/{household_id}/members"] = Request(
            json={**member, "reason": "外部人员加人"}, headers=if_match
        )
        requests["DELETE /api/v1/households/{household_id}/members/{member_id}"] = Request(
            params={"reason": "外部人员删人"}, headers=if_match
        )


def build(stack: Stack) -> World:
    """The victims on ``stack`` (about ten seconds: two one-second notices and the events between)."""
    with httpx.Client(base_url=stack.gateway_url, timeout=WAIT_SECONDS) as client:
        builder = Builder(stack, client)
        world = builder.build()
        builder.owner_writes()
        return world
