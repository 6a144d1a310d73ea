"""Opening cases: refusals, exit and re-entry, idempotent retries, the list and its filters."""

from __future__ import annotations

from typing import Any

from identification.repository.facts import get_decision


async def test_unknown_and_invisible_households_are_not_found(cases: Any) -> None:
    r = await cases.open("01900000-0000-7000-8000-000000000000")
    assert (r.status_code, r.json()["code"]) == (404, "household-not-found")
    other_village = await cases.household("510822104202")
    r = await cases.open(other_village.household_id)  # the clerk of 炉场村 does not cover 兴龙村
    assert r.status_code == 404
    assert await cases.outbox_types() == []


async def test_a_second_open_case_and_an_entry_for_a_poor_household_conflict(cases: Any) -> None:
    case = await cases.opened()
    r = await cases.open(case["household_id"])
    assert (r.status_code, r.json()["code"]) == (409, "case-already-open")
    await cases.drive_to(case, "locked")
    r = await cases.open(case["household_id"])
    assert (r.status_code, r.json()["code"]) == (409, "household-already-poor")
    imported_poor = await cases.household(status="poor")
    r = await cases.open(imported_poor.household_id)
    assert (r.status_code, r.json()["code"]) == (409, "household-already-poor")


async def test_exit_then_reentry(cases: Any) -> None:
    facts = await cases.household()
    r = await cases.open(facts.household_id, "exit")
    assert (r.status_code, r.json()["code"]) == (409, "household-not-poor")
    entry = await cases.drive_to((await cases.open(facts.household_id)).json(), "locked")
    exit_case = await cases.open(entry["household_id"], "exit", reason="收入稳定超过标准")
    assert exit_case.status_code == 201, exit_case.text
    await cases.drive_to(exit_case.json(), "locked")
    assert (await cases.outbox_types())[-1] == "identification.household.exited"
    async with cases.api.sessions() as session:
        assert await get_decision(session, facts.household_id) == ("exited", False)
    r = await cases.open(facts.household_id)
    assert (r.status_code, r.json()["code"]) == (409, "household-exited")
    reentry = await cases.open(facts.household_id, "reentry", reason="因病返贫")
    assert reentry.status_code == 201, reentry.text
    async with cases.api.sessions() as session:
        assert await get_decision(session, facts.household_id) == ("under_review", False)
    await cases.drive_to(reentry.json(), "locked")
    assert (await cases.outbox_types())[-1] == "identification.household.reentered"
    async with cases.api.sessions() as session:
        assert await get_decision(session, facts.household_id) == ("poor", False)


async def test_a_rejected_exit_leaves_the_household_poor(cases: Any) -> None:
    entry = await cases.drive_to(await cases.opened(), "locked")
    exit_case = (await cases.open(entry["household_id"], "exit")).json()
    r = await cases.step("clerk", exit_case["id"], "reject", reason="收入不稳定")
    assert r.json()["stage"] == "rejected"
    async with cases.api.sessions() as session:
        assert await get_decision(session, entry["household_id"]) == ("poor", False)


async def test_a_retried_opening_creates_one_case(cases: Any) -> None:
    facts = await cases.household()
    key = {"Idempotency-Key": "open-1"}
    first = await cases.open(facts.household_id, headers=key)
    second = await cases.open(facts.household_id, headers=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert (await cases.outbox_types()).count("identification.case.opened") == 1
    other = await cases.open(facts.household_id, headers=key, reason="另一个理由")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency-key-reused")


async def test_a_retried_step_is_applied_once(cases: Any) -> None:
    case = await cases.opened()
    key = {"Idempotency-Key": "step-1"}
    first = await cases.step("clerk", case["id"], headers=key)
    second = await cases.step("clerk", case["id"], headers=key)
    assert first.json() == second.json()
    assert (await cases.case(case["id"]))["stage"] == "village_assessed"
    assert (await cases.outbox_types()).count("identification.case.advanced") == 1


async def test_the_default_policy_is_the_most_specific_in_force(cases: Any) -> None:
    facts = await cases.household()
    r = await cases.open(facts.household_id, policy=None)
    assert r.status_code == 201, r.text
    assert r.json()["policy_id"] in (cases.policy_id, cases.county_notice_policy_id)


async def test_the_list_filters_and_pages_inside_the_jurisdiction(cases: Any) -> None:
    one = await cases.opened()
    two = await cases.advance(await cases.opened())
    r = await cases.api.get("township", "/api/v1/cases", limit=1)
    page = r.json()
    assert [c["id"] for c in page["items"]] == [one["id"]]
    rest = await cases.api.get("township", "/api/v1/cases", cursor=page["next_cursor"])
    assert [c["id"] for c in rest.json()["items"]] == [two["id"]]
    staged = await cases.api.get("county", "/api/v1/cases", stage="village_assessed", kind="entry")
    assert [c["id"] for c in staged.json()["items"]] == [two["id"]]
    assert (await cases.api.get("township2", "/api/v1/cases")).json()["items"] == []
    mine = await cases.api.get("auditor", "/api/v1/cases", household_id=one["household_id"])
    assert [c["id"] for c in mine.json()["items"]] == [one["id"]]
    outside = await cases.api.get("township2", "/api/v1/cases", division="510822104000")
    assert (outside.status_code, outside.json()["field"]) == (403, "division")
