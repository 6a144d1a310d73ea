"""Refused steps: wrong role, wrong jurisdiction, out of order, early in a notice, open objection.

Each refusal is checked to leave the case, its history and the outbox exactly as they were.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest


async def refused(cases: Any, case_id: str, call: Awaitable[httpx.Response], status: int, code: str) -> None:
    """``call`` answers ``status``/``code`` and nothing about the case or the outbox changes."""
    before, events = await cases.case(case_id), await cases.outbox()
    r = await call
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await cases.case(case_id) == before
    assert await cases.outbox() == events


@pytest.mark.parametrize("user", ["admin", "auditor", "township", "county"])
async def test_a_step_by_the_wrong_role_is_forbidden(cases: Any, user: str) -> None:
    case = await cases.opened()
    await refused(cases, case["id"], cases.step(user, case["id"]), 403, "role-not-allowed")


async def test_the_village_clerk_cannot_do_the_township_review(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    cases.api.clock.now = datetime.fromisoformat(case["notice_ends_at"]) + timedelta(days=1)
    await refused(cases, case["id"], cases.step("clerk", case["id"]), 403, "role-not-allowed")
    await refused(cases, case["id"], cases.step("county", case["id"], "reject"), 403, "role-not-allowed")


async def test_another_townships_reviewer_sees_no_such_case(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    cases.api.clock.now = datetime.fromisoformat(case["notice_ends_at"])
    # 404 rather than 403: a case outside the jurisdiction is not even confirmed to exist.
    await refused(cases, case["id"], cases.step("township2", case["id"]), 404, "case-not-found")
    await refused(cases, case["id"], cases.step("township2", case["id"], "object"), 404, "case-not-found")
    r = await cases.api.get("township2", f"/api/v1/cases/{case['id']}")
    assert r.status_code == 404


async def test_a_stale_from_stage_is_refused(cases: Any) -> None:
    case = await cases.advance(await cases.opened())
    call = cases.step("clerk", case["id"], from_stage="applied")
    await refused(cases, case["id"], call, 409, "stage-mismatch")


async def test_approving_during_the_notice_is_too_early(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    cases.api.clock.now = datetime.fromisoformat(case["notice_ends_at"]) - timedelta(seconds=1)
    await refused(cases, case["id"], cases.step("township", case["id"]), 409, "notice-running")
    await refused(cases, case["id"], cases.step("township", case["id"], "reject"), 409, "notice-running")


async def test_an_open_objection_blocks_the_next_step(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    r = await cases.step("auditor", case["id"], "object", reason="收入不实")
    assert r.status_code == 200, r.text
    cases.api.clock.advance(timedelta(days=30))
    await refused(cases, case["id"], cases.step("township", case["id"]), 409, "objection-open")


async def test_actions_out_of_order_conflict(cases: Any) -> None:
    case = await cases.opened()
    await refused(cases, case["id"], cases.step("auditor", case["id"], "object"), 409, "no-notice-running")
    resolve = cases.step("township", case["id"], "resolve", finding="dismissed")
    await refused(cases, case["id"], resolve, 409, "no-open-objection")
    locked = await cases.drive_to(case, "locked")
    await refused(cases, locked["id"], cases.step("county", locked["id"]), 409, "case-closed")


async def test_a_stale_if_match_is_refused(cases: Any) -> None:
    case = await cases.opened()
    call = cases.step("clerk", case["id"], headers={"If-Match": f'"{case["version"] - 1}"'})
    await refused(cases, case["id"], call, 412, "stale-version")
    ok = await cases.step("clerk", case["id"], headers={"If-Match": f'"{case["version"]}"'})
    assert ok.status_code == 200
