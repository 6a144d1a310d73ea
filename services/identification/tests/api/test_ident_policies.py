"""Policies over HTTP: stored as immutable versions, bad documents refused naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from identification.policies import DEFAULT, EXAMPLE, document


def body(doc: dict[str, Any], reason: str = "新政策") -> dict[str, Any]:
    return {"document": doc, "reason": reason}


async def test_a_policy_is_stored_as_a_new_version_each_time(ident_api: Any) -> None:
    first = await ident_api.post("county", "/api/v1/policies", body(document(EXAMPLE)))
    assert first.status_code == 201, first.text
    second = await ident_api.post("admin", "/api/v1/policies", body(document(EXAMPLE)))
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert second.json()["document"]["notices"] == {"first": "PT2S", "second": "PT2S", "county": "P15D"}
    got = await ident_api.get("clerk", f"/api/v1/policies/{first.json()['id']}")
    assert got.json()["document"]["income_line_fen"] == 400000
    page = await ident_api.get("auditor", "/api/v1/policies", limit=1)
    assert len(page.json()["items"]) == 1 and page.json()["next_cursor"]
    rest = await ident_api.get("auditor", "/api/v1/policies", cursor=page.json()["next_cursor"])
    assert [p["version"] for p in rest.json()["items"]] == [2]


async def test_only_admins_and_county_approvers_store_policies(ident_api: Any) -> None:
    r = await ident_api.post("township", "/api/v1/policies", body(document(DEFAULT)))
    assert r.status_code == 403
    r = await ident_api.post("county", "/api/v1/policies", body(document(DEFAULT)))
    assert r.status_code == 403 and r.json()["field"] == "division_code"  # a province-wide policy


def broken(path: list[str | int], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(document(EXAMPLE))
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["income_line_fen"], -1, "document.income_line_fen"),
        (["indicators", 0, "weight"], 35, "document.indicators"),
        (["indicators", 0, "id"], "luck", "document.indicators[0].id"),
        (["exclusions", 0, "id"], "bad_hair", "document.exclusions[0].id"),
        (["notices", "first"], "seven days", "document.notices.first"),
        (["notices", "second"], "-P7D", "document.notices.second"),
    ],
)
async def test_a_bad_policy_is_refused_naming_the_field_and_not_stored(
    ident_api: Any, path: list[str | int], value: Any, field: str
) -> None:
    r = await ident_api.post("county", "/api/v1/policies", body(broken(path, value)))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    listed = await ident_api.get("county", "/api/v1/policies")
    assert listed.json()["items"] == []


async def test_an_unknown_policy_is_404(ident_api: Any) -> None:
    r = await ident_api.get("county", "/api/v1/policies/nope")
    assert r.status_code == 404 and r.json()["code"] == "policy-not-found"
