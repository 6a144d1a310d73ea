"""The public read of a division and its ancestors: no token; 404 for no such division, 422 for a bad code."""

from __future__ import annotations

from typing import Any

LUCHANG = "510822104201"  # 炉场村


def _problem(r: Any, status: int, code: str, field: str | None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (r.json()["code"], r.json().get("field")) == (code, field)


async def test_a_village_reads_with_its_ancestors_province_first_without_a_token(registry: Any) -> None:
    r = await registry.client.get(f"/api/v1/public/divisions/{LUCHANG}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["code"], doc["name"], doc["level"], doc["parent_code"]) == (
        LUCHANG,
        "炉场村",
        "village",
        "510822104000",
    )
    assert [(a["code"], a["name"], a["level"]) for a in doc["ancestors"]] == [
        ("510000000000", "四川省", "province"),
        ("510800000000", "广元市", "prefecture"),
        ("510822000000", "青川县", "county"),
        ("510822104000", "茶坝乡", "township"),
    ]


async def test_a_province_has_no_ancestors(registry: Any) -> None:
    r = await registry.client.get("/api/v1/public/divisions/510000000000")
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["ancestors"]) == ("四川省", [])


async def test_ancestors_the_registry_does_not_hold_are_left_out(registry: Any) -> None:
    loaded = await registry.client.post(
        "/api/v1/divisions/import",
        headers=registry.auth("admin"),
        files={"file": ("d.csv", "code,name,level,parent_code\n510822199201,新村,village,510822199000\n")},
    )
    assert loaded.status_code == 200, loaded.text
    r = await registry.client.get("/api/v1/public/divisions/510822199201")
    assert r.status_code == 200, r.text
    assert [a["name"] for a in r.json()["ancestors"]] == ["四川省", "广元市", "青川县"]


async def test_a_well_formed_code_naming_no_division_is_404(registry: Any) -> None:
    r = await registry.client.get("/api/v1/public/divisions/510822104299")
    _problem(r, 404, "division-not-found", None)


async def test_a_malformed_code_is_422_naming_the_field(registry: Any) -> None:
    for malformed in ("51082210420", "５１０８２２１０４２０１"):  # 11 digits; full-width digits
        r = await registry.client.get(f"/api/v1/public/divisions/{malformed}")
        _problem(r, 422, "validation-failed", "code")
    zeros = await registry.client.get("/api/v1/public/divisions/000000000000")
    _problem(zeros, 422, "invalid-division-code", "code")


async def test_many_divisions_read_at_once_by_code_unknown_ones_left_out(registry: Any) -> None:
    r = await registry.client.get(
        "/api/v1/public/divisions", params={"code": [LUCHANG, "510822104299", "510000000000", LUCHANG]}
    )
    assert r.status_code == 200, r.text
    assert [(d["code"], d["name"]) for d in r.json()["items"]] == [
        ("510000000000", "四川省"),
        (LUCHANG, "炉场村"),
    ]


async def test_a_batch_read_refuses_a_malformed_code_and_too_many_codes(registry: Any) -> None:
    r = await registry.client.get("/api/v1/public/divisions", params={"code": [LUCHANG, "5108221042"]})
    _problem(r, 422, "validation-failed", "code[1]")
    r = await registry.client.get("/api/v1/public/divisions", params={"code": [LUCHANG] * 201})
    _problem(r, 422, "validation-failed", "code")
    r = await registry.client.get("/api/v1/public/divisions")
    _problem(r, 422, "validation-failed", "code")
