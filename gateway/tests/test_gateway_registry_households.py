"""One household through the gateway: read (ETag), PATCH (If-Match), members added and removed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

Api = Any  # the ``api`` fixture (conftest.py): gateway client, event recorder, registry state
Factory = Callable[..., dict[str, Any]]
Problem = Callable[..., dict[str, Any]]
URL = "/api/v1/households"
LUCHANG, CHABA = "510822104201", "510822104000"


async def registered(api: Api, new_household: Factory, user: str = "clerk") -> dict[str, Any]:
    r = await api.post(user, URL, json=new_household(LUCHANG))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_get_one_with_etag(api: Api, new_household: Factory) -> None:
    created = await registered(api, new_household)
    r = await api.get("township", f"{URL}/{created['id']}")
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'
    assert r.json()["id"] == created["id"] and len(r.json()["members"]) == 3


async def test_other_jurisdiction_gets_404(api: Api, expect_problem: Problem) -> None:
    chaba = await api.first_household("township", CHABA)
    body = expect_problem(await api.get("township2", f"{URL}/{chaba['id']}"), 404, "household-not-found")
    assert "members" not in body
    missing = await api.get("township", f"{URL}/01900000-0000-7000-8000-000000000000")
    expect_problem(missing, 404, "household-not-found")


async def test_clerk_of_another_village_gets_404(api: Api, expect_problem: Problem) -> None:
    xinglong = await api.first_household("township", "510822104202")
    expect_problem(await api.get("clerk", f"{URL}/{xinglong['id']}"), 404, "household-not-found")


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "missing-token"),
        ("Bearer not-a-jwt", "invalid-token"),
        ("Basic YWRtaW46ZGVtbw==", "missing-token"),
    ],
)
async def test_unauthenticated_reads_are_401(
    api: Api, expect_problem: Problem, authorization: str | None, code: str
) -> None:
    chaba = await api.first_household("township", CHABA)
    headers = {"Authorization": authorization} if authorization else {}
    r = await api.get(None, f"{URL}/{chaba['id']}", headers=headers)
    expect_problem(r, 401, code)
    assert r.headers["www-authenticate"] == "Bearer"


async def test_patch_needs_if_match(api: Api, new_household: Factory, expect_problem: Problem) -> None:
    created = await registered(api, new_household)
    before = await api.state()
    r = await api.patch("clerk", f"{URL}/{created['id']}", json={"reason": "复核", "address": "炉场村四组"})
    expect_problem(r, 428, "if-match-required", "If-Match")
    assert await api.state() == before


async def test_stale_if_match_is_412_and_changes_nothing(
    api: Api, new_household: Factory, expect_problem: Problem
) -> None:
    created = await registered(api, new_household)
    url = f"{URL}/{created['id']}"
    ok = await api.patch(
        "clerk", url, json={"reason": "复核", "housing": "basic"}, headers={"If-Match": '"1"'}
    )
    assert ok.status_code == 200
    before = await api.state()
    stale = await api.patch(
        "clerk", url, json={"reason": "复核", "address": "别处"}, headers={"If-Match": '"1"'}
    )
    body = expect_problem(stale, 412, "version-mismatch", "If-Match")
    assert body["current_version"] == 2
    assert await api.state() == before
    now = (await api.get("clerk", url)).json()
    assert (now["version"], now["address"], now["housing"]) == (2, created["address"], "basic")


async def test_patch_updates_version_etag_and_emits_changed_fields(api: Api, new_household: Factory) -> None:
    created = await registered(api, new_household)
    r = await api.patch(
        "clerk",
        f"{URL}/{created['id']}",
        json={"reason": "收入复核", "annual_net_income_fen": 900_000, "poverty_causes": ["disaster"]},
        headers={"If-Match": 'W/"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.headers["etag"] == '"2"'
    assert (r.json()["annual_net_income_fen"], r.json()["per_capita_income_fen"]) == (900_000, 300_000)
    (event,) = await api.events.wait_for("registry.household.updated")
    assert event.data["changed_fields"] == ["annual_net_income_fen", "poverty_causes"]
    assert event.reason == "收入复核" and event.actor == "clerk"
    assert event.data["household"]["household_version"] == 2
    assert event.data["household"]["per_capita_income_fen"] == 300_000


@pytest.mark.parametrize(
    ("patch", "status", "code", "field"),
    [
        ({"address": "炉场村四组"}, 422, "validation-failed", "reason"),
        ({"reason": "", "address": "x"}, 422, "validation-failed", "reason"),
        ({"reason": "r", "annual_net_income_fen": -5}, 422, "negative-income", "annual_net_income_fen"),
        ({"reason": "r", "housing": "castle"}, 422, "validation-failed", "housing"),
        ({"reason": "r", "status": "poor"}, 422, "validation-failed", "status"),
        ({"reason": "r", "division_code": "510822104202"}, 403, "outside-jurisdiction", "division_code"),
        ({"reason": "r"}, 422, "empty-patch", "body"),
        ({"reason": "r", "housing": None}, 422, "empty-patch", "body"),
    ],
)
async def test_bad_patches_change_nothing(
    api: Api,
    new_household: Factory,
    expect_problem: Problem,
    patch: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    created = await registered(api, new_household)
    before = await api.state()
    r = await api.patch("clerk", f"{URL}/{created['id']}", json=patch, headers={"If-Match": '"1"'})
    expect_problem(r, status, code, field)
    assert await api.state() == before
    assert (await api.get("clerk", f"{URL}/{created['id']}")).json()["version"] == 1


async def test_add_member(api: Api, new_household: Factory, new_person: Factory) -> None:
    created = await registered(api, new_household)
    son = new_person("child", "male", date(2016, 2, 2), labour="none")
    r = await api.post("clerk", f"{URL}/{created['id']}/members", json={**son, "reason": "新生儿落户"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["version"] == 2 and r.headers["etag"] == '"2"'
    assert (body["members_count"], body["single_child"], body["all_daughters"]) == (4, False, False)
    (event,) = await api.events.wait_for("registry.member.added")
    added = next(m for m in body["members"] if m["name"] == son["name"] and m["relation"] == "child")
    assert event.data["member_id"] == added["id"] and event.reason == "新生儿落户"
    assert son["id_number"] not in event.to_json()


async def test_add_second_head_is_refused(
    api: Api, new_household: Factory, new_person: Factory, expect_problem: Problem
) -> None:
    created = await registered(api, new_household)
    before = await api.state()
    r = await api.post("clerk", f"{URL}/{created['id']}/members", json=new_person("head"))
    expect_problem(r, 422, "head-count", "relation")
    assert await api.state() == before


async def test_add_person_of_another_household_is_a_conflict(
    api: Api, new_household: Factory, new_person: Factory, expect_problem: Problem
) -> None:
    created = await registered(api, new_household)
    other = await api.first_household("township", LUCHANG)
    taken = other["members"][0]
    person = {**new_person("sibling", taken["sex"]), "id_number": taken["id_number"], "birth_date": None}
    before = await api.state()
    r = await api.post("township", f"{URL}/{created['id']}/members", json=person)
    body = expect_problem(r, 409, "person-already-registered", "id_number")
    assert body["conflicting_household_id"] == other["id"]
    assert await api.state() == before


async def test_remove_member(api: Api, new_household: Factory) -> None:
    created = await registered(api, new_household)
    spouse = next(m for m in created["members"] if m["relation"] == "spouse")
    r = await api.delete(
        "clerk", f"{URL}/{created['id']}/members/{spouse['id']}", params={"reason": "离婚迁出"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["members_count"] == 2
    assert spouse["id"] not in {m["id"] for m in r.json()["members"]}
    (event,) = await api.events.wait_for("registry.member.removed")
    assert event.data["member_id"] == spouse["id"] and event.reason == "离婚迁出"
    assert event.data["household"]["members_count"] == 2


async def test_remove_head_or_without_reason_is_refused(
    api: Api, new_household: Factory, expect_problem: Problem
) -> None:
    created = await registered(api, new_household)
    head, spouse = created["members"][0], created["members"][1]
    before = await api.state()
    r = await api.delete("clerk", f"{URL}/{created['id']}/members/{head['id']}", params={"reason": "迁出"})
    expect_problem(r, 422, "head-required", "member_id")
    r = await api.delete("clerk", f"{URL}/{created['id']}/members/{spouse['id']}")
    expect_problem(r, 422, "validation-failed", "reason")
    r = await api.delete("clerk", f"{URL}/{created['id']}/members/{spouse['id']}", params={"reason": ""})
    expect_problem(r, 422, "validation-failed", "reason")
    assert await api.state() == before
    assert (await api.get("clerk", f"{URL}/{created['id']}")).json()["members_count"] == 3


async def test_card_holder_cannot_be_removed(
    api: Api, new_household: Factory, new_person: Factory, expect_problem: Problem
) -> None:
    head, spouse = new_person(), new_person("spouse", "female", date(1982, 3, 4))
    payload = new_household(LUCHANG, head, spouse)
    payload["bank_account"]["holder_id_number"] = spouse["id_number"]
    created = (await api.post("clerk", URL, json=payload)).json()
    holder = created["members"][1]
    assert created["bank_account"]["holder_member_id"] == holder["id"]
    before = await api.state()
    r = await api.delete("clerk", f"{URL}/{created['id']}/members/{holder['id']}", params={"reason": "迁出"})
    expect_problem(r, 422, "holder-not-member", "member_id")
    assert await api.state() == before


async def test_explicit_null_in_a_patch_is_not_a_change(api: Api, new_household: Factory) -> None:
    created = await registered(api, new_household)
    r = await api.patch(
        "clerk",
        f"{URL}/{created['id']}",
        json={"reason": "复核", "housing": None, "address": "炉场村五组"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["housing"], r.json()["address"]) == (created["housing"], "炉场村五组")
    (event,) = await api.events.wait_for("registry.household.updated")
    assert event.data["changed_fields"] == ["address"]
