"""The whole procedure through the API: entry to locked, decision events, history, snapshot kept."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from identification.app import create_app
from identification.repository.facts import get_decision
from identification.service.notices import close_ended_notices

STAGES = [
    "village_assessed",
    "first_notice",
    "township_reviewed",
    "second_notice",
    "county_approved",
    "announced",
    "locked",
]


async def test_entry_runs_to_locked_and_the_outbox_holds_the_approval(cases: Any) -> None:
    case = await cases.opened(evidence=["doc://application/1"])
    assert case["stage"] == "applied"
    assert case["policy_version"] == 1
    assert case["assessment"]["eligible"] in (True, False)
    assert case["awaits"] == {"role": "village_clerk", "action": "approve"}
    seen = []
    while case["stage"] != "locked":
        case = await cases.advance(case)
        seen.append(case["stage"])
    assert seen == STAGES
    assert case["closed_at"] is not None
    types = await cases.outbox_types()
    assert types.count("identification.household.approved") == 1
    assert types[0] == "identification.case.opened"
    assert types.count("identification.notice.started") == 2
    assert types.count("identification.notice.ended") == 2
    assert types[-2:] == ["identification.case.advanced", "identification.household.approved"]
    approved = (await cases.outbox())[-1]
    assert approved["data"]["household_id"] == case["household_id"]
    assert approved["data"]["members_count"] == case["members_count"]
    assert approved["actor"] == "county"
    assert approved["source"] == "/jingzhun/identification"
    # History: opening, each step, and the two notice endings, each with actor, time and reason.
    actions = [(h["action"], h["actor"]) for h in case["history"]]
    assert actions[0] == ("open", "clerk")
    assert ("notice_ended", "system:notice-clock") in actions
    assert all(h["reason"] for h in case["history"])
    assert case["history"][0]["evidence"] == ["doc://application/1"]
    async with cases.api.sessions() as session:
        assert await get_decision(session, case["household_id"]) == ("poor", False)


async def test_a_county_notice_policy_adds_the_third_notice(cases: Any) -> None:
    case = await cases.opened(policy=cases.county_notice_policy_id)
    case = await cases.drive_to(case, "county_approved")
    case = await cases.advance(case)
    assert case["stage"] == "county_notice"
    assert case["notice"] == "county"
    case = await cases.drive_to(case, "locked")
    assert (await cases.outbox_types()).count("identification.notice.started") == 3


async def test_a_registry_edit_after_opening_does_not_change_the_case(cases: Any) -> None:
    case = await cases.opened()
    facts = cases.api.fed[case["household_id"]]
    richer = facts.model_copy(update={"household_version": 2, "annual_net_income_fen": 9_000_000})
    await cases.api.feed(richer, updated=True)
    again = await cases.case(case["id"])
    assert again["facts"] == case["facts"]
    assert again["assessment"] == case["assessment"]
    assert again["facts"]["annual_net_income_fen"] == facts.annual_net_income_fen


async def test_the_scheduler_closes_ended_notices_and_approval_needs_no_second_close(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    async with cases.api.sessions() as session:
        assert await close_ended_notices(session, cases.api.clock()) == 0
    cases.api.clock.advance(datetime.fromisoformat(case["notice_ends_at"]) - cases.api.clock.now)
    async with cases.api.sessions() as session:
        assert await close_ended_notices(session, cases.api.clock()) == 1
        await session.commit()
    closed = await cases.case(case["id"])
    assert closed["notice_state"] == "ended"
    assert closed["awaits"] == {"role": "township_reviewer", "action": "approve"}
    reviewed = await cases.advance(closed)
    assert reviewed["stage"] == "township_reviewed"
    assert (await cases.outbox_types()).count("identification.notice.ended") == 1


async def test_approving_after_the_end_works_without_the_scheduler(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    cases.api.clock.now = datetime.fromisoformat(case["notice_ends_at"])
    reviewed = await cases.advance({**case, "notice_state": "ended"})
    assert reviewed["stage"] == "township_reviewed"
    types = await cases.outbox_types()
    assert types[-2:] == ["identification.notice.ended", "identification.case.advanced"]
    ended, approved = reviewed["history"][-2:]
    assert (ended["action"], ended["from_stage"], ended["to_stage"]) == (
        "notice_ended",
        "first_notice",
        "first_notice",
    )
    assert (approved["from_stage"], approved["to_stage"], approved["actor"]) == (
        "first_notice",
        "township_reviewed",
        "township",
    )


async def test_the_running_scheduler_closes_a_notice_on_its_own(cases: Any) -> None:
    case = await cases.drive_to(await cases.opened(), "first_notice")
    cases.api.clock.now = datetime.fromisoformat(case["notice_ends_at"])
    fast = cases.api.app.state.settings.model_copy(update={"notice_poll_seconds": 0.01})
    app = create_app(settings=fast, common=cases.api.app.state.runtime.common, clock=cases.api.clock)
    async with app.router.lifespan_context(app):
        for _ in range(500):  # bounded wait for the background pass; no timing is asserted
            if (await cases.case(case["id"]))["notice_state"] == "ended":
                break
            await asyncio.sleep(0.01)
    assert (await cases.case(case["id"]))["notice_state"] == "ended"
    assert (await cases.outbox_types()).count("identification.notice.ended") == 1
