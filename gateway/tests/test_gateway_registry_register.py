"""Registering a household through the gateway (建档立卡): rules, masking, events, Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

Api = Any  # the ``api`` fixture (conftest.py): gateway client, event recorder, registry state
Factory = Callable[..., dict[str, Any]]
URL = "/api/v1/households"
LUCHANG, XINGLONG = "510822104201", "510822104202"  # 炉场村 and 兴龙村 of 茶坝乡


def masked(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


async def test_register_as_clerk_masks_and_derives(api: Api, new_household: Factory) -> None:
    payload = new_household(LUCHANG, annual_net_income_fen=600_001)
    before = await api.state()
    r = await api.post("clerk", URL, json=payload)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["etag"] == '"1"' and body["version"] == 1
    assert body["status"] == "registered"
    assert (body["members_count"], body["per_capita_income_fen"]) == (3, 200_000)  # floored
    assert (body["single_child"], body["all_daughters"], body["has_disabled_member"]) == (True, True, False)
    sent = [m["id_number"] for m in payload["members"]]
    shown = [m["id_number"] for m in body["members"]]
    assert shown == [masked(n) for n in sent]
    assert all(s.startswith("5108") and s[4:14] == "*" * 10 for s in shown)
    account = payload["bank_account"]["account_number"]
    assert body["bank_account"]["account_number"] == masked(account)
    assert body["bank_account"]["holder_member_id"] == body["members"][0]["id"]
    assert await api.state() == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("user", ["township", "county", "admin"])
async def test_reviewers_see_full_id_numbers(api: Api, new_household: Factory, user: str) -> None:
    payload = new_household(LUCHANG)
    r = await api.post(user, URL, json=payload)
    assert r.status_code == 201, r.text
    assert [m["id_number"] for m in r.json()["members"]] == [m["id_number"] for m in payload["members"]]
    again = await api.get(user, f"{URL}/{r.json()['id']}")
    assert again.json()["members"][0]["id_number"] == payload["members"][0]["id_number"]


async def test_registered_event_is_a_cloudevent_without_personal_numbers(
    api: Api, new_household: Factory
) -> None:
    payload = new_household(LUCHANG)
    r = await api.post("clerk", URL, json=payload, headers={"X-Request-ID": "reg-evt-1"})
    assert r.status_code == 201
    (event,) = await api.events.wait_for("registry.household.registered")
    assert event.specversion == "1.0" and event.source == "/jingzhun/registry"
    assert event.subject == f"household/{r.json()['id']}"
    assert event.datacontenttype == "application/json" and event.id and event.time
    assert (event.actor, event.requestid) == ("clerk", "reg-evt-1")
    facts = event.data["household"]
    assert facts["household_id"] == r.json()["id"] and facts["household_version"] == 1
    assert (facts["members_count"], facts["per_capita_income_fen"], facts["division_code"]) == (
        3,
        200_000,
        LUCHANG,
    )
    assert facts["single_child"] and facts["all_daughters"] and not facts["has_disabled_member"]
    wire = event.to_json()
    for m in payload["members"]:
        assert m["id_number"] not in wire
        assert m["name"] not in wire
    assert payload["bank_account"]["account_number"] not in wire
    assert facts["members"][0]["id_number_masked"] == masked(payload["members"][0]["id_number"])


def _break(payload: dict[str, Any], how: str) -> None:
    members = payload["members"]
    if how == "bad-check-character":
        members[1]["id_number"] = members[1]["id_number"][:17] + (
            "0" if members[1]["id_number"][17] != "0" else "1"
        )
    elif how == "birth-date-mismatch":
        members[1]["birth_date"] = "1982-03-05"
    elif how == "sex-mismatch":
        members[1]["sex"] = "male"
    elif how == "two-heads":
        members[1]["relation"] = "head"
    elif how == "no-head":
        members[0]["relation"] = "parent"
    elif how == "negative-income":
        payload["annual_net_income_fen"] = -100
    elif how == "absurd-income":
        payload["annual_net_income_fen"] = 10**12
    elif how == "unknown-enum":
        members[2]["education"] = "doctorate_of_magic"
    elif how == "unknown-field":
        members[0]["favourite_colour"] = "red"
    elif how == "holder-not-member":
        payload["bank_account"]["holder_id_number"] = "11010519491231002X"


@pytest.mark.parametrize(
    ("how", "code", "field"),
    [
        ("bad-check-character", "invalid-id-number", "members[1].id_number"),
        ("birth-date-mismatch", "birth-date-mismatch", "members[1].birth_date"),
        ("sex-mismatch", "sex-mismatch", "members[1].sex"),
        ("two-heads", "head-count", "members"),
        ("no-head", "head-count", "members"),
        ("negative-income", "negative-income", "annual_net_income_fen"),
        ("absurd-income", "implausible-income", "annual_net_income_fen"),
        ("unknown-enum", "validation-failed", "members[2].education"),
        ("unknown-field", "validation-failed", "members[0].favourite_colour"),
        ("holder-not-member", "holder-not-member", "bank_account.holder_id_number"),
    ],
)
async def test_invalid_household_is_refused_naming_the_field(
    api: Api,
    new_household: Factory,
    expect_problem: Callable[..., dict[str, Any]],
    how: str,
    code: str,
    field: str,
) -> None:
    payload = new_household(LUCHANG)
    _break(payload, how)
    before = await api.state()
    expect_problem(await api.post("clerk", URL, json=payload), 422, code, field)
    assert await api.state() == before


@pytest.mark.parametrize(
    ("user", "division", "status", "code"),
    [
        ("township", "510822104000", 422, "not-a-village"),  # 茶坝乡 itself
        ("township", "510822104299", 422, "unknown-division"),
        ("clerk", XINGLONG, 403, "outside-jurisdiction"),  # 炉场村's clerk in 兴龙村
        ("township2", LUCHANG, 403, "outside-jurisdiction"),
        ("funds", LUCHANG, 403, "role-not-allowed"),
        ("auditor", LUCHANG, 403, "role-not-allowed"),
    ],
)
async def test_division_and_role_rules(
    api: Api,
    new_household: Factory,
    expect_problem: Callable[..., dict[str, Any]],
    user: str,
    division: str,
    status: int,
    code: str,
) -> None:
    before = await api.state()
    body = expect_problem(await api.post(user, URL, json=new_household(division)), status, code)
    if code != "role-not-allowed":
        assert body["field"] == "division_code"
    assert await api.state() == before


async def test_person_of_another_household_is_a_conflict(
    api: Api, new_household: Factory, new_person: Factory, expect_problem: Callable[..., dict[str, Any]]
) -> None:
    seeded = await api.first_household("township", LUCHANG)
    taken = seeded["members"][0]
    born = date.fromisoformat(taken["birth_date"])
    intruder = {
        **new_person("spouse", taken["sex"], born),
        "id_number": taken["id_number"],
        "birth_date": None,
    }
    before = await api.state()

    for user, sees_id in (("township", True), ("county", True), ("clerk", True), ("township2", False)):
        division = LUCHANG if user != "township2" else "510822100201"
        payload = new_household(division, new_person(), intruder)
        body = expect_problem(await api.post(user, URL, json=payload), 409, "person-already-registered")
        assert body["field"] == "members[1].id_number"
        if sees_id:
            assert body["conflicting_household_id"] == seeded["id"]
            # Only roles that see ID numbers learn which member it is.
            assert ("conflicting_member_id" in body) is (user != "clerk")
        else:
            assert "conflicting_household_id" not in body and seeded["id"] not in str(body)
    assert await api.state() == before


async def test_bank_account_of_another_household_is_a_conflict(
    api: Api, new_household: Factory, expect_problem: Callable[..., dict[str, Any]]
) -> None:
    first = new_household(LUCHANG)
    assert (await api.post("clerk", URL, json=first)).status_code == 201
    second = new_household(LUCHANG)
    second["bank_account"]["account_number"] = first["bank_account"]["account_number"]
    before = await api.state()
    expect_problem(
        await api.post("clerk", URL, json=second), 409, "bank-account-in-use", "bank_account.account_number"
    )
    assert await api.state() == before


async def test_same_idempotency_key_and_body_registers_once(api: Api, new_household: Factory) -> None:
    payload = new_household(LUCHANG)
    before = await api.state()
    key = {"Idempotency-Key": "field-team-7-retry"}
    first = await api.post("clerk", URL, json=payload, headers=key)
    second = await api.post("clerk", URL, json=payload, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["etag"] == '"1"'
    assert await api.state() == (before[0] + 1, before[1] + 1)
    await api.events.wait_for("registry.household.registered")
    assert len(api.events.of_type("registry.household.registered")) == 1


async def test_same_idempotency_key_with_another_body_is_refused(
    api: Api, new_household: Factory, expect_problem: Callable[..., dict[str, Any]]
) -> None:
    key = {"Idempotency-Key": "k-1"}
    assert (await api.post("clerk", URL, json=new_household(LUCHANG), headers=key)).status_code == 201
    before = await api.state()
    r = await api.post("clerk", URL, json=new_household(LUCHANG), headers=key)
    expect_problem(r, 422, "idempotency-key-reused", "Idempotency-Key")
    assert await api.state() == before
