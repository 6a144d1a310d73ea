"""Village facts and the village rule (一高一低一无, both variants); reproducible spot checks."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from identification.policies import EXAMPLE, document
from identification.repository.facts import set_decision
from identification.seed import seed_demo

POOR_VILLAGE = "510822104201"
RICH_VILLAGE = "510822104202"


async def world(ident_api: Any, make_facts: Any) -> dict[str, str]:
    """Two villages of 茶坝乡: one poor (2 of 4 people locked in, low income), one well off."""
    async with ident_api.sessions() as session:
        await seed_demo(session)
        await session.commit()
    poor = await ident_api.feed(make_facts(POOR_VILLAGE, annual_net_income_fen=200_000))
    await ident_api.feed(make_facts(POOR_VILLAGE, annual_net_income_fen=600_000))
    await ident_api.feed(make_facts(RICH_VILLAGE, annual_net_income_fen=4_000_000))
    await ident_api.feed(make_facts(RICH_VILLAGE, annual_net_income_fen=4_000_000))
    async with ident_api.sessions() as session:
        await set_decision(session, poor.household_id, status="poor")
        await session.commit()
    example = await ident_api.post(
        "county", "/api/v1/policies", {"document": document(EXAMPLE), "reason": "对比"}
    )
    return {"example": example.json()["id"], "default": await default_policy(ident_api)}


async def default_policy(ident_api: Any) -> str:
    listed = (await ident_api.get("county", "/api/v1/policies")).json()["items"]
    return str(next(p["id"] for p in listed if p["name"] == "sichuan-default"))


async def put_facts(ident_api: Any, code: str, **fields: Any) -> Any:
    return await ident_api.put("county", f"/api/v1/villages/{code}/facts", {"reason": "村情核实", **fields})


async def test_the_county_variant(ident_api: Any, make_facts: Any) -> None:
    policies = await world(ident_api, make_facts)
    assert (await put_facts(ident_api, POOR_VILLAGE, collective_income_fen=0)).json()["version"] == 1
    r = await ident_api.get(
        "township", f"/api/v1/villages/{POOR_VILLAGE}/assessment", policy=policies["default"]
    )
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["village"] == {"population": 4, "poor_people": 2, "income_fen": 800_000}
    assert a["county"]["population"] == 8
    assert {k: t["outcome"] for k, t in a["tests"].items()} == {
        "high_incidence": "met",  # 50% against the county's 25%
        "low_income": "met",
        "no_collective_income": "met",
    }
    assert a["poor_village"] is True
    rich = (
        await ident_api.get(
            "county", f"/api/v1/villages/{RICH_VILLAGE}/assessment", policy=policies["default"]
        )
    ).json()
    assert rich["tests"]["high_incidence"]["outcome"] == "not_met" and rich["poor_village"] is False
    # A model village is never a poor village; the facts keep every version.
    assert (await put_facts(ident_api, POOR_VILLAGE, collective_income_fen=0, model_village=True)).json()[
        "version"
    ] == 2
    again = (
        await ident_api.get(
            "county", f"/api/v1/villages/{POOR_VILLAGE}/assessment", policy=policies["default"]
        )
    ).json()
    assert (again["excluded_as_model_village"], again["poor_village"]) == (True, False)


async def test_the_provincial_variant(ident_api: Any, make_facts: Any) -> None:
    policies = await world(ident_api, make_facts)
    url = f"/api/v1/villages/{POOR_VILLAGE}/assessment"
    unknown = (await ident_api.get("county", url, policy=policies["example"])).json()
    assert unknown["tests"]["high_incidence"]["outcome"] == "unknown" and unknown["poor_village"] is False
    # 50% incidence vs 2 × 20% = 40%; 2000 yuan per person vs 60% of 4000 = 2400; 20000 yuan ≤ 30000.
    await put_facts(
        ident_api,
        POOR_VILLAGE,
        collective_income_fen=2_000_000,
        province_incidence_permyriad=2000,
        province_per_capita_income_fen=400_000,
    )
    a = (await ident_api.get("county", url, policy=policies["example"])).json()
    assert {k: t["outcome"] for k, t in a["tests"].items()} == {
        "high_incidence": "met",
        "low_income": "met",
        "no_collective_income": "met",
    }
    await put_facts(
        ident_api,
        POOR_VILLAGE,
        collective_income_fen=2_000_000,
        province_incidence_permyriad=2600,
        province_per_capita_income_fen=400_000,
    )
    b = (await ident_api.get("county", url, policy=policies["example"])).json()
    assert b["tests"]["high_incidence"]["outcome"] == "not_met" and b["poor_village"] is False
    # Under the default (county) variant, 20000 yuan of collective income is not "no" income.
    c = (await ident_api.get("county", url, policy=policies["default"])).json()
    assert c["tests"]["no_collective_income"]["outcome"] == "not_met"


async def test_village_facts_need_the_role_and_a_village(ident_api: Any) -> None:
    r = await ident_api.put(
        "township", f"/api/v1/villages/{POOR_VILLAGE}/facts", {"collective_income_fen": 0, "reason": "x"}
    )
    assert r.status_code == 403
    r = await ident_api.put(
        "county", "/api/v1/villages/510822104000/facts", {"collective_income_fen": 0, "reason": "x"}
    )
    assert (r.status_code, r.json()["field"]) == (422, "code")


async def test_a_spot_check_can_be_recomputed_from_the_seed(ident_api: Any, make_facts: Any) -> None:
    chaba = [
        (await ident_api.feed(make_facts(f"510822104{201 + i % 11:03d}"))).household_id for i in range(30)
    ]
    qiaozhuang = [(await ident_api.feed(make_facts("510822100201"))).household_id for _ in range(7)]
    body = {
        "division_code": "510822000000",
        "seed": "2026-12-01 省抽查 0xC0FFEE",
        "per_township": {"percent": 10, "min": 3},
    }
    r = await ident_api.post("auditor", "/api/v1/spot-checks", body)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["seed"] == body["seed"] and "HMAC-SHA256" in doc["algorithm"]

    def recompute(ids: list[str], k: int) -> list[str]:
        key = body["seed"].encode()
        return sorted(sorted(ids), key=lambda h: hmac.new(key, h.encode(), hashlib.sha256).hexdigest())[:k]

    strata = {s["township_code"]: s for s in doc["strata"]}
    assert (strata["510822104000"]["population"], strata["510822104000"]["sample_size"]) == (30, 3)
    assert strata["510822104000"]["sample"] == recompute(chaba, 3)
    assert (strata["510822100000"]["population"], strata["510822100000"]["sample"]) == (
        7,
        recompute(qiaozhuang, 3),
    )
    again = await ident_api.post("county", "/api/v1/spot-checks", body)
    assert again.json()["strata"] == doc["strata"]
    other = await ident_api.post("county", "/api/v1/spot-checks", {**body, "seed": "another"})
    assert other.json()["strata"] != doc["strata"]
    assert (await ident_api.post("township", "/api/v1/spot-checks", body)).status_code == 403
