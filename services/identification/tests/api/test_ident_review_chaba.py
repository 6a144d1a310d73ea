"""The seed's township: 茶坝乡's 11 villages with their people quotas and synthetic households.

Whatever the households, a re-review never puts more people into a village than its quota, admits
households whole, ranks priority households (三优先) above any score, and never admits an excluded
household (三不评).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from identification.domain.synthetic import household_facts, member
from identification.seed import seed_demo

CHABA = "510822104000"
# The seed's people quotas of 炉场村 ... 三溪村 (codes 510822104201 ... 510822104211), seeded for 2016.
QUOTAS = (95, 123, 75, 130, 112, 81, 69, 57, 72, 47, 46)
VILLAGES = tuple(f"510822104{201 + n}" for n in range(len(QUOTAS)))
HOUSEHOLDS_PER_VILLAGE = 80
EXCLUSION_FLAGS = ("idle_land", "crime", "family_planning_violation")


def _household(rng: random.Random, village: str) -> Any:
    size = rng.randint(1, 6)
    people = [member(disability=rng.random() < 0.1)]
    people += [
        member(relation=rng.choice(["spouse", "child", "parent"]), sex=rng.choice(["male", "female"]))
        for _ in range(size - 1)
    ]
    flags = {flag: rng.random() < 0.05 for flag in EXCLUSION_FLAGS}
    return household_facts(
        village,
        annual_net_income_fen=rng.randint(0, 1_500_000),
        members=people,
        housing=rng.choice(["safe", "basic", "unsafe", "none"]),
        poverty_causes=rng.sample(["illness", "disability", "disaster", "lack_of_labour", "education"], 2),
        flags=flags,
    )


async def _review(ident_api: Any) -> dict[str, Any]:
    body = {"division_code": CHABA, "year": 2016, "dry_run": True, "reason": "半年复核"}
    r = await ident_api.post("county", "/api/v1/reviews", body)
    assert r.status_code == 202, r.text
    for _ in range(1000):
        report = (await ident_api.get("county", f"/api/v1/reviews/{r.json()['id']}")).json()
        if report["status"] in ("done", "failed"):
            assert report["status"] == "done", report
            return dict(report)
        await asyncio.sleep(0.01)
    raise AssertionError("review did not finish")


async def test_no_village_exceeds_its_quota_households_are_whole_and_priorities_come_first(
    ident_api: Any,
) -> None:
    async with ident_api.sessions() as session:
        await seed_demo(session)  # the default policy and the seed's quotas
        await session.commit()
    rng = random.Random(2736)
    fed = {}
    for village in VILLAGES:
        for _ in range(HOUSEHOLDS_PER_VILLAGE):
            facts = await ident_api.feed(_household(rng, village))
            fed[facts.household_id] = facts
    report = await _review(ident_api)

    by_code = {v["village_code"]: v for v in report["villages"]}
    assert sorted(by_code) == list(VILLAGES)
    for village, quota in zip(VILLAGES, QUOTAS, strict=True):
        summary = by_code[village]
        entries = [fed[h["household_id"]] for h in summary["proposals"]["entry"]]
        below = [fed[h["household_id"]] for h in summary["proposals"]["below_cut"]]
        assert summary["quota"] == quota
        # Nobody is poor yet: the quota is spent on entries alone, counted in whole households.
        assert summary["quota_used"] == sum(f.members_count for f in entries) <= quota
        assert below, f"{village}: the synthetic village has more eligible people than its quota"
        # The first household below the cut did not fit whole into what was left.
        assert below[0].members_count > quota - summary["quota_used"]
        for facts in entries:
            assert not any(facts.flags.get(flag) for flag in EXCLUSION_FLAGS), facts.flags
        # Priorities outrank score: no household without a priority entered ahead of one with it.
        ranked = summary["proposals"]["entry"] + summary["proposals"]["below_cut"]
        priority = [h["priority"] for h in ranked]
        assert priority == sorted(priority, reverse=True)
        assert any(priority) and not all(priority)  # both kinds are there, so the order means something
        for h in ranked:
            f = fed[h["household_id"]]
            assert h["priority"] == (f.has_disabled_member or f.single_child or f.all_daughters)
        # Within each kind, higher scores first.
        for flag in (True, False):
            scores = [h["score"] for h in ranked if h["priority"] is flag]
            assert scores == sorted(scores, reverse=True)
