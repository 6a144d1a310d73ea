"""Household lists (cursor, filters, jurisdiction), divisions, and bilingual errors through the gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Api = Any  # the ``api`` fixture (conftest.py): gateway client, event recorder, registry state
Factory = Callable[..., dict[str, Any]]
Problem = Callable[..., dict[str, Any]]
URL = "/api/v1/households"
COUNTY, CHABA, QIAOZHUANG = "510822000000", "510822104000", "510822100000"
LUCHANG, XINGLONG = "510822104201", "510822104202"
CHABA_VILLAGES = (
    "炉场村",
    "兴龙村",
    "青新村",
    "双河村",
    "月明村",
    "寺坝村",
    "青岭村",
    "新坪村",
    "石古村",
    "太平村",
    "三溪村",
)


async def walk(api: Api, user: str, limit: int, **params: str) -> list[dict[str, Any]]:
    """Every item of a list, page by page."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        r = await api.get(user, URL, params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_cursor_pagination_walks_every_household_once(api: Api) -> None:
    everything = await walk(api, "county", 500)
    households, _ = await api.state()
    assert len(everything) == households
    paged = await walk(api, "county", 7)
    assert [h["id"] for h in paged] == [h["id"] for h in everything]
    assert len({h["id"] for h in paged}) == len(paged)


async def test_lists_are_confined_to_the_jurisdiction(api: Api) -> None:
    clerk = await walk(api, "clerk", 50)
    assert clerk and {h["division_code"] for h in clerk} == {LUCHANG}
    township2 = await walk(api, "township2", 50)
    assert township2 and all(h["division_code"].startswith(QIAOZHUANG[:9]) for h in township2)
    # A filter wider than the caller's jurisdiction is narrowed to it.
    assert await walk(api, "clerk", 50, division=COUNTY) == clerk
    county = await walk(api, "county", 500)
    assert {h["id"] for h in clerk} | {h["id"] for h in township2} <= {h["id"] for h in county}


async def test_other_jurisdiction_as_a_filter_is_forbidden(api: Api, expect_problem: Problem) -> None:
    r = await api.get("township2", URL, params={"division": CHABA})
    expect_problem(r, 403, "outside-jurisdiction", "division")
    r = await api.get("clerk", URL, params={"division": XINGLONG})
    expect_problem(r, 403, "outside-jurisdiction", "division")


async def test_filters_by_division_status_and_name(api: Api, new_household: Factory) -> None:
    chaba = await walk(api, "county", 500, division=CHABA)
    assert chaba and all(h["division_code"].startswith(CHABA[:9]) for h in chaba)
    assert len(await walk(api, "county", 500)) > len(chaba)
    luchang = await walk(api, "township", 500, division=LUCHANG)
    assert {h["division_code"] for h in luchang} == {LUCHANG}
    assert len(await walk(api, "county", 500, status="registered")) == len(await walk(api, "county", 500))
    assert await walk(api, "county", 50, status="poor") == []

    payload = new_household(LUCHANG)
    payload["members"][0]["name"] = "欧阳独一无二"
    created = (await api.post("clerk", URL, json=payload)).json()
    found = await walk(api, "county", 50, name="欧阳独一")
    assert [h["id"] for h in found] == [created["id"]]
    assert await walk(api, "township2", 50, name="欧阳独一") == []


async def test_id_number_filter_is_for_reviewers_only(api: Api, expect_problem: Problem) -> None:
    target = await api.first_household("township", LUCHANG)
    number = target["members"][-1]["id_number"]
    found = await walk(api, "township", 50, id_number=number.lower())
    assert [h["id"] for h in found] == [target["id"]]
    r = await api.get("clerk", URL, params={"id_number": number})
    expect_problem(r, 403, "id-search-not-allowed", "id_number")
    r = await api.get("township", URL, params={"id_number": "510822198001061235"})
    expect_problem(r, 422, "invalid-id-number", "id_number")


async def test_division_filter_naming_no_division_is_422(api: Api, expect_problem: Problem) -> None:
    for code in ("000000000000", "510822000201"):  # nothing; a village code without a township
        r = await api.get("county", URL, params={"division": code})
        expect_problem(r, 422, "invalid-division-code", "division")
    expect_problem(
        await api.get("county", URL, params={"division": "5108"}), 422, "validation-failed", "division"
    )


async def test_malformed_cursor_is_422(api: Api, expect_problem: Problem) -> None:
    expect_problem(await api.get("county", URL, params={"cursor": "%%%"}), 422, "invalid-cursor", "cursor")
    expect_problem(await api.get("county", URL, params={"limit": "0"}), 422, "validation-failed", "limit")


async def test_get_division(api: Api, expect_problem: Problem) -> None:
    r = await api.get("clerk", f"/api/v1/divisions/{CHABA}")
    assert r.status_code == 200
    assert r.json() == {"code": CHABA, "name": "茶坝乡", "level": "township", "parent_code": COUNTY}
    expect_problem(await api.get("clerk", "/api/v1/divisions/510822104299"), 404, "division-not-found")
    expect_problem(await api.get(None, f"/api/v1/divisions/{CHABA}"), 401, "missing-token")


async def test_children_of_chaba_are_its_eleven_villages(api: Api, expect_problem: Problem) -> None:
    r = await api.get("township2", "/api/v1/divisions", params={"parent": CHABA})
    assert r.status_code == 200
    villages = r.json()
    assert tuple(v["name"] for v in villages) == CHABA_VILLAGES
    assert {(v["level"], v["parent_code"]) for v in villages} == {("village", CHABA)}
    assert [v["code"] for v in villages] == [f"510822104{n:03d}" for n in range(201, 212)]
    roots = (await api.get("clerk", "/api/v1/divisions")).json()
    assert [(d["code"], d["name"]) for d in roots] == [("510000000000", "四川省")]
    expect_problem(
        await api.get("clerk", "/api/v1/divisions", params={"parent": "x"}), 422, "invalid-division-code"
    )


def csv_file(text: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("divisions.csv", text.encode(), "text/csv")}


NEW_VILLAGES = "code,name,level,parent_code\n510822104212,新村,village,510822104000\n"


async def test_admin_loads_divisions_from_csv(api: Api) -> None:
    renamed = "code,name,level,parent_code\n510822104211,三溪新村,village,510822104000\n"
    r = await api.post(
        "admin", "/api/v1/divisions/import", files=csv_file(NEW_VILLAGES + renamed.split("\n", 1)[1])
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"loaded": 2}
    assert (await api.get("clerk", "/api/v1/divisions/510822104212")).json()["name"] == "新村"
    assert (await api.get("clerk", "/api/v1/divisions/510822104211")).json()["name"] == "三溪新村"
    children = (await api.get("clerk", "/api/v1/divisions", params={"parent": CHABA})).json()
    assert len(children) == 12


async def test_clerk_may_not_load_divisions(api: Api, expect_problem: Problem) -> None:
    r = await api.post("clerk", "/api/v1/divisions/import", files=csv_file(NEW_VILLAGES))
    expect_problem(r, 403, "role-not-allowed")
    expect_problem(await api.get("clerk", "/api/v1/divisions/510822104212"), 404, "division-not-found")


async def test_bad_division_csv_names_row_and_field(api: Api, expect_problem: Problem) -> None:
    header = "code,name,level,parent_code\n"
    good = "510822104212,新村,village,510822104000\n"
    cases = [
        (header + good + "510822104213,错级,township,510822104000\n", "level-mismatch", "rows[3].level"),
        (header + good + "51082210421,短码,village,510822104000\n", "invalid-division-code", "rows[3].code"),
        (header + "510822104213,错上级,village,510822100000\n", "parent-mismatch", "rows[2].parent_code"),
        (header + "510822104213,,village,510822104000\n", "missing-name", "rows[2].name"),
        ("code,name\n510822104213,x\n", "invalid-header", "header"),
    ]
    for text, code, field in cases:
        r = await api.post("admin", "/api/v1/divisions/import", files=csv_file(text))
        expect_problem(r, 422, code, field)
    # All or nothing: the good row before the bad one was not loaded either.
    expect_problem(await api.get("clerk", "/api/v1/divisions/510822104212"), 404, "division-not-found")
    latin1 = {
        "file": ("d.csv", (header + "510822104213,\xe9,village,510822104000\n").encode("latin-1"), "text/csv")
    }
    expect_problem(
        await api.post("admin", "/api/v1/divisions/import", files=latin1), 422, "invalid-encoding", "file"
    )


async def test_messages_follow_accept_language(
    api: Api, new_household: Factory, expect_problem: Problem
) -> None:
    payload = new_household(LUCHANG, annual_net_income_fen=-1)
    en = expect_problem(
        await api.post("clerk", URL, json=payload, headers={"Accept-Language": "en-US,en;q=0.9"}),
        422,
        "negative-income",
    )
    zh = expect_problem(
        await api.post("clerk", URL, json=payload, headers={"Accept-Language": "zh-CN"}),
        422,
        "negative-income",
    )
    default = expect_problem(await api.post("clerk", URL, json=payload), 422, "negative-income")
    assert en["title"] == "income cannot be negative"
    assert zh["title"] == default["title"] == "收入不能为负数"
    assert en["type"] == zh["type"] and en["field"] == zh["field"] == "annual_net_income_fen"
