"""Objections stop the notice clock, dismissal restores the time left, upheld rejects; the public board."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from identification.repository.facts import get_decision

BOARD_FIELDS = {
    "notice_id",
    "village",
    "kind",
    "notice",
    "state",
    "started_at",
    "ends_at",
    "household",
    "members_count",
}


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def public_objection(cases: Any, notice_id: str, **headers: str) -> Any:
    body = {"text": "该户有经营性收入未申报", "contact": "13800000000"}
    return await cases.api.client.post(
        f"/api/v1/public/notices/{notice_id}/objections", json=body, headers=headers
    )


async def test_a_public_objection_pauses_and_a_dismissal_restores_the_remaining_time(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    clock = cases.api.clock
    original_end = at(case["notice_ends_at"])
    filed = clock.advance(timedelta(days=2))
    r = await public_objection(cases, case["id"])
    assert r.status_code == 201, r.text
    paused = await cases.case(case["id"])
    assert (paused["notice_state"], at(paused["paused_at"]), paused["open_objections"]) == (
        "paused",
        filed,
        1,
    )
    assert paused["objections"][0]["filed_by"] == "public"
    assert "contact" not in paused["objections"][0]
    resolved = clock.advance(timedelta(days=3, hours=5))
    r = await cases.step("township", case["id"], "resolve", finding="dismissed", reason="核实无误")
    assert r.status_code == 200, r.text
    resumed = r.json()
    assert at(resumed["notice_ends_at"]) == original_end + (resolved - filed)
    assert resumed["notice_state"] == "running"
    assert resumed["objections"][0]["status"] == "dismissed"
    assert resumed["history"][-1]["details"]["finding"] == "dismissed"
    clock.now = original_end + timedelta(days=1)
    early = await cases.step("township", case["id"])
    assert (early.status_code, early.json()["code"]) == (409, "notice-running")
    clock.now = at(resumed["notice_ends_at"])
    assert (await cases.step("township", case["id"])).status_code == 200
    filed_events = [e for e in await cases.outbox() if e["type"] == "identification.objection.filed"]
    assert [e["actor"] for e in filed_events] == ["public"]
    assert filed_events[0]["data"]["objection_id"] == paused["objections"][0]["id"]
    (resolution,) = [e for e in await cases.outbox() if e["type"] == "identification.objection.resolved"]
    assert (resolution["actor"], resolution["data"]["finding"]) == ("township", "dismissed")
    assert resolution["data"]["objection_id"] == paused["objections"][0]["id"]
    assert at(resolution["data"]["notice_ends_at"]) == at(resumed["notice_ends_at"])


async def test_an_upheld_objection_rejects_the_entry(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "second_notice")
    r = await cases.step("county", case["id"], "object", reason="住房条件不符", evidence=["photo://1"])
    assert r.status_code == 200, r.text
    r = await cases.step("county", case["id"], "resolve", finding="upheld", reason="查实")
    assert r.status_code == 200, r.text
    rejected = r.json()
    assert rejected["stage"] == "rejected"
    assert rejected["objections"][0]["status"] == "upheld"
    assert (await cases.outbox_types())[-1] == "identification.case.rejected"
    async with cases.api.sessions() as session:
        assert await get_decision(session, case["household_id"]) == ("rejected", False)
    # The household is free for a new application.
    again = await cases.open(case["household_id"])
    assert again.status_code == 201, again.text


async def test_the_public_board_shows_notices_without_personal_data(cases: Any) -> None:
    first = await cases.drive_to(await cases.opened(), "first_notice")
    second = await cases.drive_to(await cases.opened(), "first_notice")
    await cases.opened()  # not under notice: not on the board
    r = await cases.api.client.get("/api/v1/public/notices", params={"division": "510822104000", "limit": 1})
    assert r.status_code == 200, r.text
    page = r.json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    item = page["items"][0]
    assert set(item) == BOARD_FIELDS
    assert item["household"] == first["household_id"].replace("-", "")[-8:]
    assert item["members_count"] == first["members_count"]
    rest = await cases.api.client.get("/api/v1/public/notices", params={"cursor": page["next_cursor"]})
    assert [i["notice_id"] for i in rest.json()["items"]] == [second["id"]]
    elsewhere = await cases.api.client.get("/api/v1/public/notices", params={"division": "510822100000"})
    assert elsewhere.json()["items"] == []


async def test_objections_outside_a_notice_are_refused(cases: Any) -> None:
    case = await cases.opened()
    r = await public_objection(cases, case["id"])
    assert (r.status_code, r.json()["code"]) == (404, "notice-not-found")
    noticed = await cases.drive_to(case, "first_notice")
    cases.api.clock.now = at(noticed["notice_ends_at"])
    r = await public_objection(cases, case["id"])
    assert (r.status_code, r.json()["code"]) == (409, "notice-ended")
    assert (await cases.case(case["id"]))["objections"] == []


async def test_a_retried_public_objection_is_filed_once(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    first = await public_objection(cases, case["id"], **{"Idempotency-Key": "obj-1"})
    second = await public_objection(cases, case["id"], **{"Idempotency-Key": "obj-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert (await cases.case(case["id"]))["open_objections"] == 1
