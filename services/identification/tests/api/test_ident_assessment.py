"""One household's assessment over HTTP: projection from registry events, reasons per rule, jurisdiction."""

from __future__ import annotations

from typing import Any

from identification.policies import EXAMPLE, document
from identification.seed import seed_demo


async def seeded(ident_api: Any) -> None:
    async with ident_api.sessions() as session:
        await seed_demo(session)
        await session.commit()


async def test_the_default_policy_explains_every_rule(
    ident_api: Any, make_facts: Any, make_member: Any
) -> None:
    await seeded(ident_api)
    facts = await ident_api.feed(
        make_facts(
            annual_net_income_fen=300_000,
            members=[make_member(), make_member(relation="child", sex="female", labour="none")],
            housing="unsafe",
            poverty_causes=["illness"],
        )
    )
    r = await ident_api.get("clerk", f"/api/v1/households/{facts.household_id}/assessment")
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["policy"]["name"] == "sichuan-default"
    assert (a["eligible"], a["priorities"], a["exclusions"]) == (True, ["single_child", "all_daughters"], [])
    # income 40×70%=28, assets 10×100%=10, labour (50%) 20×20%=4, housing 20×100%=20, depth 10×50%=5
    assert a["score"] == 67
    rules = {rule["rule"]: rule for rule in a["rules"]}
    assert rules["income_line"]["inputs"] == {"per_capita_income_fen": 150_000, "income_line_fen": 273_600}
    assert rules["income_line"]["label_zh"] and rules["income_line"]["label_en"]
    assert rules["exclusion:dibao"]["outcome"] == "disabled"
    assert rules["indicator:housing"]["points"] == 20


async def test_why_not_me_names_the_exclusion(ident_api: Any, make_facts: Any) -> None:
    await seeded(ident_api)
    facts = await ident_api.feed(make_facts(annual_net_income_fen=100_000, flags={"idle_land": True}))
    a = (await ident_api.get("township", f"/api/v1/households/{facts.household_id}/assessment")).json()
    assert (a["eligible"], a["exclusions"]) == (False, ["idle_land"])
    assert next(r for r in a["rules"] if r["rule"] == "exclusion:idle_land")["outcome"] == "hit"


async def test_two_policies_judge_the_same_household_differently(ident_api: Any, make_facts: Any) -> None:
    await seeded(ident_api)
    example = await ident_api.post(
        "county", "/api/v1/policies", {"document": document(EXAMPLE), "reason": "对比"}
    )
    facts = await ident_api.feed(make_facts(annual_net_income_fen=600_000, housing="unsafe"))
    url = f"/api/v1/households/{facts.household_id}/assessment"
    listed = (await ident_api.get("county", "/api/v1/policies")).json()["items"]
    default_id = next(p["id"] for p in listed if p["name"] == "sichuan-default")
    default = (await ident_api.get("county", url, policy=default_id)).json()
    strict = (await ident_api.get("county", url, policy=example.json()["id"])).json()
    # 3000 yuan per person: above the default line (2736), below the example's (4000).
    assert (default["eligible"], strict["eligible"]) == (False, True)
    assert default["score"] != strict["score"]
    # Without ?policy= the most specific scope wins: the county's example over the province's default.
    assert (await ident_api.get("county", url)).json()["policy"]["name"] == "example-strict"


async def test_an_older_snapshot_does_not_replace_a_newer_one(ident_api: Any, make_facts: Any) -> None:
    await seeded(ident_api)
    v2 = make_facts(annual_net_income_fen=100_000, household_version=2)
    await ident_api.feed(v2)
    await ident_api.feed(
        v2.model_copy(update={"household_version": 1, "annual_net_income_fen": 9_000_000}), updated=True
    )
    await ident_api.feed(
        v2.model_copy(update={"household_version": 2, "per_capita_income_fen": 9_000_000}), updated=True
    )
    a = (await ident_api.get("county", f"/api/v1/households/{v2.household_id}/assessment")).json()
    assert a["household_version"] == 2 and a["eligible"] is True
    newer = v2.model_copy(update={"household_version": 3, "per_capita_income_fen": 900_000})
    await ident_api.feed(newer, updated=True)
    a = (await ident_api.get("county", f"/api/v1/households/{v2.household_id}/assessment")).json()
    assert a["household_version"] == 3 and a["eligible"] is False


async def test_a_household_outside_the_jurisdiction_is_not_found(ident_api: Any, make_facts: Any) -> None:
    await seeded(ident_api)
    facts = await ident_api.feed(make_facts("510822100201"))
    r = await ident_api.get("township", f"/api/v1/households/{facts.household_id}/assessment")
    assert r.status_code == 404
    assert (
        await ident_api.get("township2", f"/api/v1/households/{facts.household_id}/assessment")
    ).status_code == 200
