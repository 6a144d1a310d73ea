"""Batch re-review: stays, exits, whole-household entries within quota, re-entries, monitoring."""

from __future__ import annotations

import asyncio
from typing import Any

from identification.repository.facts import get_decision, set_decision
from identification.seed import seed_demo

VILLAGE = "510822104201"
YEAR = 2017


async def prepared(ident_api: Any, make_facts: Any, make_member: Any) -> dict[str, str]:
    """Quotas for 2017 (village: 10 people) and nine households whose outcomes are known in advance."""
    async with ident_api.sessions() as session:
        await seed_demo(session)
        await session.commit()
    for code, people in (("510822000000", 100), ("510822104000", 50), (VILLAGE, 10)):
        r = await ident_api.post(
            "county",
            "/api/v1/quotas",
            {"division_code": code, "year": YEAR, "people": people, "reason": "2017"},
        )
        assert r.status_code == 201, r.text

    def people(n: int, **first: Any) -> list[Any]:
        return [make_member(**first)] + [make_member(relation="spouse") for _ in range(n - 1)]

    plan = {
        "exit": (
            make_facts(VILLAGE, annual_net_income_fen=1_000_000, members=people(2), housing="safe"),
            "poor",
        ),
        "stay": (make_facts(VILLAGE, annual_net_income_fen=200_000, members=people(2)), "poor"),
        "reentry": (make_facts(VILLAGE, annual_net_income_fen=200_000, members=people(2)), "exited"),
        "priority": (
            make_facts(VILLAGE, annual_net_income_fen=450_000, members=people(3, disability=True)),
            None,
        ),
        "top_score": (
            make_facts(
                VILLAGE,
                annual_net_income_fen=0,
                members=people(4),
                housing="none",
                poverty_causes=["disaster"],
            ),
            None,
        ),
        "small_after_cut": (make_facts(VILLAGE, annual_net_income_fen=200_000, members=people(1)), None),
        "at_risk": (make_facts(VILLAGE, annual_net_income_fen=600_000, members=people(2)), None),
        "monitored": (
            make_facts(VILLAGE, annual_net_income_fen=10_000, members=people(1), flags={"idle_land": True}),
            None,
        ),
        "well_off": (
            make_facts(VILLAGE, annual_net_income_fen=9_000_000, members=people(2), housing="safe"),
            None,
        ),
    }
    ids = {}
    for name, (facts, _) in plan.items():
        await ident_api.feed(facts)
        ids[name] = facts.household_id
    async with ident_api.sessions() as session:
        for name, (_, status) in plan.items():
            if status:
                await set_decision(session, ids[name], status=status)
        await set_decision(session, ids["monitored"], monitored=True)
        await session.commit()
    return ids


async def finished(ident_api: Any, review_id: str) -> dict[str, Any]:
    for _ in range(500):
        r = await ident_api.get("county", f"/api/v1/reviews/{review_id}")
        if r.json()["status"] in ("done", "failed"):
            return dict(r.json())
        await asyncio.sleep(0.01)
    raise AssertionError("review did not finish")


async def run(ident_api: Any, dry_run: bool = True, user: str = "county") -> dict[str, Any]:
    body = {"division_code": "510822104000", "year": YEAR, "dry_run": dry_run, "reason": "半年复核"}
    r = await ident_api.post(user, "/api/v1/reviews", body)
    assert r.status_code == 202, r.text
    return await finished(ident_api, r.json()["id"])


def proposals(report: dict[str, Any]) -> dict[str, list[str]]:
    (village,) = report["villages"]
    return {k: [h["household_id"] for h in v] for k, v in village["proposals"].items()}


async def test_a_dry_run_proposes_every_change_and_ranks_whole_households(
    ident_api: Any, make_facts: Any, make_member: Any
) -> None:
    ids = await prepared(ident_api, make_facts, make_member)
    report = await run(ident_api)
    assert report["status"] == "done", report
    assert report["progress"] == {"done": 9, "total": 9}
    got = proposals(report)
    assert got["exit"] == [ids["exit"]]
    assert got["reentry"] == [ids["reentry"]]
    # Base use 4 (stay 2 + reentry 2) of 10: the priority household (3) enters; the top scorer (4) does
    # not fit, and the 1-person household ranked below it does not jump the queue.
    assert got["entry"] == [ids["priority"]]
    assert got["below_cut"] == [ids["top_score"], ids["small_after_cut"]]
    assert got["monitoring"] == [ids["at_risk"]]
    (village,) = report["villages"]
    assert (village["quota"], village["quota_used"], village["quota_left"]) == (10, 7, 3)
    assert village["households"]["stay"] == 1
    async with ident_api.sessions() as session:
        assert await get_decision(session, ids["priority"]) == ("registered", False)


async def test_running_twice_gives_the_same_result(ident_api: Any, make_facts: Any, make_member: Any) -> None:
    await prepared(ident_api, make_facts, make_member)
    first, second = await run(ident_api), await run(ident_api)
    assert first["id"] != second["id"]
    assert first["villages"] == second["villages"]


async def test_a_real_run_opens_cases_for_the_proposals(
    ident_api: Any, make_facts: Any, make_member: Any
) -> None:
    ids = await prepared(ident_api, make_facts, make_member)
    report = await run(ident_api, dry_run=False)
    assert report["status"] == "done", report
    (village,) = report["villages"]
    opened = [h for kind in ("exit", "entry", "reentry", "monitoring") for h in village["proposals"][kind]]
    assert len(opened) == 4 and all(h["case_id"] for h in opened), opened
    case = await ident_api.get("county", f"/api/v1/cases/{village['proposals']['entry'][0]['case_id']}")
    assert (case.json()["household_id"], case.json()["kind"]) == (ids["priority"], "entry")
    async with ident_api.sessions() as session:
        assert (await get_decision(session, ids["priority"]))[0] == "under_review"
    # A second run proposes no entry for a household already under review.
    again = proposals(await run(ident_api))
    assert ids["priority"] not in again["entry"]


async def test_reviews_are_jurisdiction_checked(ident_api: Any, make_facts: Any, make_member: Any) -> None:
    await prepared(ident_api, make_facts, make_member)
    body = {"division_code": "510822104000", "year": YEAR, "dry_run": True, "reason": "x"}
    assert (await ident_api.post("township2", "/api/v1/reviews", body)).status_code == 403
    assert (await ident_api.post("clerk", "/api/v1/reviews", body)).status_code == 403
    report = await run(ident_api, user="township")
    assert (await ident_api.get("township2", f"/api/v1/reviews/{report['id']}")).status_code == 404
