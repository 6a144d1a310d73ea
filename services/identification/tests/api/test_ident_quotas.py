"""People quotas: split county → township → village; children may never exceed their parent."""

from __future__ import annotations

from typing import Any

from identification.seed import seed_demo


def quota(code: str, people: int, year: int = 2016) -> dict[str, Any]:
    return {"division_code": code, "year": year, "people": people, "reason": "分解指标"}


async def test_the_demo_quotas_are_seeded_and_listed(ident_api: Any) -> None:
    async with ident_api.sessions() as session:
        assert await seed_demo(session) is True
        await session.commit()
    async with ident_api.sessions() as session:
        assert await seed_demo(session) is False
    r = await ident_api.get("township", "/api/v1/quotas", division="510822104000", limit=500)
    people = {q["division_code"]: q["people"] for q in r.json()["items"]}
    assert people["510822104000"] == 907
    assert [people[f"510822104{n:03d}"] for n in range(201, 212)] == [
        95,
        123,
        75,
        130,
        112,
        81,
        69,
        57,
        72,
        47,
        46,
    ]
    county = await ident_api.get("county", "/api/v1/quotas", division="510822000000", year=2016, limit=2)
    assert len(county.json()["items"]) == 2 and county.json()["next_cursor"]


async def test_children_may_not_exceed_the_parent(ident_api: Any) -> None:
    assert (await ident_api.post("county", "/api/v1/quotas", quota("510822000000", 100))).status_code == 201
    assert (await ident_api.post("county", "/api/v1/quotas", quota("510822104000", 60))).status_code == 201
    refused = await ident_api.post("county", "/api/v1/quotas", quota("510822100000", 41))
    assert refused.status_code == 422
    assert (refused.json()["field"], refused.json()["code"]) == ("people", "quota-exceeds-parent")
    assert (await ident_api.post("county", "/api/v1/quotas", quota("510822100000", 40))).status_code == 201
    # Lowering a parent below what is already split is refused too; a change keeps one row per year.
    low = await ident_api.post("county", "/api/v1/quotas", quota("510822000000", 99))
    assert (low.status_code, low.json()["code"]) == (422, "quota-below-children")
    raised = await ident_api.post("county", "/api/v1/quotas", quota("510822000000", 120))
    assert (raised.json()["people"], raised.json()["version"]) == (120, 2)
    # Another year is another budget.
    assert (
        await ident_api.post("county", "/api/v1/quotas", quota("510822100000", 500, 2017))
    ).status_code == 201


async def test_quotas_need_the_role_and_the_jurisdiction(ident_api: Any) -> None:
    assert (await ident_api.post("township", "/api/v1/quotas", quota("510822104201", 5))).status_code == 403
    r = await ident_api.get("township", "/api/v1/quotas", division="510822100000")
    assert r.status_code == 403
    bad = await ident_api.post("county", "/api/v1/quotas", quota("51082210420X", 5))
    assert (bad.status_code, bad.json()["field"]) == (422, "division_code")
