"""Programs, budgets and grants through the API: every refusal names its field and changes nothing."""

from __future__ import annotations

from typing import Any

FundsApi = Any  # the ``funds_api`` / ``with_budget`` fixtures (api/conftest.py)
COUNTY, CHABA, LUCHANG = "510822000000", "510822104000", "510822104201"


def program(**kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "code": "relief-2026",
        "name": "节日慰问",
        "year": 2026,
        "kind": "fixed",
        "rule": {"kind": "fixed", "amount_fen": 60_000},
        "funding_sources": [{"source": "county", "percent": 100}],
        "notice": "P7D",
    }
    return doc | kw


async def _balances(api: FundsApi) -> list[Any]:
    r = await api.get("funds", "/api/v1/budgets", program_id="industry-2026")
    return [b["balances"] for b in r.json()["items"]]


async def _grants(api: FundsApi) -> list[Any]:
    items: list[Any] = (await api.get("funds", "/api/v1/grants")).json()["items"]
    return items


async def test_invalid_programs_are_refused_naming_the_field(funds_api: FundsApi) -> None:
    bad = [
        (program(rule={"kind": "fixed", "amount_fen": -5}), "rule.amount_fen"),
        (program(funding_sources=[{"source": "county", "percent": 60}]), "funding_sources"),
        (program(kind="lottery"), "kind"),
        (program(notice="P3D"), "notice"),
    ]
    for doc, field in bad:
        r = await funds_api.post("funds", "/api/v1/programs", doc)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field
    assert (await funds_api.get("funds", "/api/v1/programs")).json()["items"] == []


async def test_programs_are_immutable_and_only_managers_create_them(funds_api: FundsApi) -> None:
    assert (await funds_api.post("clerk", "/api/v1/programs", program())).status_code == 403
    await funds_api.ok("funds", "/api/v1/programs", program())
    await funds_api.ok("county", "/api/v1/programs", program())  # the same document again: no change
    r = await funds_api.post("funds", "/api/v1/programs", program(rule={"kind": "fixed", "amount_fen": 1}))
    assert r.status_code == 409
    got = (await funds_api.get("auditor", "/api/v1/programs/relief-2026")).json()
    assert got["rule"]["amount_fen"] == 60_000 and got["notice"] == "P7D"


async def test_a_child_budget_never_exceeds_its_parent(with_budget: FundsApi) -> None:
    api = with_budget
    before = await _balances(api)
    r = await api.post(
        "funds",
        "/api/v1/budgets",
        {
            "program_id": "industry-2026",
            "division_code": "510822105000",
            "year": 2026,
            "amounts_fen": {"region": 5_600_001},
        },
    )
    assert r.status_code == 409 and r.json()["field"] == "amounts_fen.region"
    assert await _balances(api) == before
    county = next(
        b for b in (await api.get("funds", "/api/v1/budgets")).json()["items"] if b["division_code"] == COUNTY
    )
    region = next(x for x in county["balances"] if x["source"] == "region")
    assert (region["available_fen"], region["delegated_fen"]) == (5_600_000, 1_400_000)
    assert await api.invariants() == []


async def test_refused_applications_change_nothing(with_budget: FundsApi) -> None:
    api = with_budget
    await api.lock_in("hh-1")
    base = {"program_id": "industry-2026", "period": "2026", "details": {"industries": ["farming"]}}
    r = await api.post("clerk", "/api/v1/grants", base | {"household_id": "hh-1", "amount_fen": 200_001})
    assert r.status_code == 422 and r.json()["field"] == "amount_fen"
    r = await api.post("clerk", "/api/v1/grants", base | {"household_id": "hh-unknown"})
    assert r.status_code == 422 and r.json()["field"] == "household_id"
    await api.lock_in("hh-2")
    await api.exit("hh-2")
    r = await api.post("clerk", "/api/v1/grants", base | {"household_id": "hh-2"})
    assert r.status_code == 422 and r.json()["code"] == "household-not-locked-in"
    r = await api.post("clerk", "/api/v1/grants", base | {"household_id": "hh-1", "period": "2026-H1"})
    assert r.status_code == 422 and r.json()["field"] == "period"
    assert await _grants(api) == []
    await api.ok("clerk", "/api/v1/grants", base | {"household_id": "hh-1"})
    r = await api.post("clerk", "/api/v1/grants", base | {"household_id": "hh-1"})
    assert r.status_code == 409 and r.json()["code"] == "grant-exists"
    assert len(await _grants(api)) == 1


async def test_the_amount_follows_the_rule_and_its_cap(with_budget: FundsApi) -> None:
    api = with_budget
    await api.lock_in("hh-1")
    body = {
        "program_id": "industry-2026",
        "household_id": "hh-1",
        "period": "2026",
        "details": {"industries": ["breeding", "processing"]},
    }
    grant = await api.ok("clerk", "/api/v1/grants", body)
    assert grant["amount_fen"] == 400_000  # 3000 + 4000 yuan, capped at 4000
    assert grant["status"] == "applied" and grant["history"][0]["actor"] == "clerk"


async def test_notice_roles_and_jurisdiction_guard_approval(with_budget: FundsApi) -> None:
    api = with_budget
    await api.lock_in("hh-1")
    grant = await api.ok(
        "clerk",
        "/api/v1/grants",
        {
            "program_id": "industry-2026",
            "household_id": "hh-1",
            "period": "2026",
            "details": {"industries": ["farming"]},
        },
    )
    url = f"/api/v1/grants/{grant['id']}/transitions"
    assert (await api.post("township2", url, {"action": "verify"})).status_code == 404
    await api.ok("clerk", url, {"action": "verify", "reason": "checked"}, 200)
    published = await api.ok("township", url, {"action": "publish", "reason": "公示"}, 200)
    assert published["notice_ends_at"] == "2026-03-08T08:00:00+00:00"
    api.clock.advance(days=6, hours=23)
    r = await api.post("township", url, {"action": "approve"})
    assert r.status_code == 409 and r.json()["code"] == "notice-not-ended"
    assert (await api.post("clerk", url, {"action": "approve"})).status_code in (403, 409)
    api.clock.advance(hours=1)
    approved = await api.ok("township", url, {"action": "approve", "reason": "ok"}, 200)
    assert approved["status"] == "approved" and approved["frozen"]["amount_fen"] == 200_000
    assert [h["action"] for h in approved["history"]] == ["apply", "verify", "publish", "approve"]


async def test_an_approval_the_budget_cannot_cover_is_refused_whole(with_budget: FundsApi) -> None:
    api = with_budget
    # 茶坝乡 holds 20,000 yuan: five grants of 4,000 fit, the sixth does not.
    for n in range(6):
        await api.lock_in(f"hh-{n}")
    approved = []
    for n in range(5):
        approved.append(await api.approved_grant(f"hh-{n}", details={"industries": ["processing"]}))
    before = await _balances(api)
    body = {
        "program_id": "industry-2026",
        "household_id": "hh-5",
        "period": "2026",
        "details": {"industries": ["processing"]},
    }
    grant = await api.ok("clerk", "/api/v1/grants", body)
    url = f"/api/v1/grants/{grant['id']}/transitions"
    await api.ok("clerk", url, {"action": "verify"}, 200)
    await api.ok("township", url, {"action": "publish"}, 200)
    api.clock.advance(days=7)
    r = await api.post("township", url, {"action": "approve"})
    assert r.status_code == 409 and r.json()["code"] == "budget-exceeded"
    assert await _balances(api) == before
    assert (await api.get("township", f"/api/v1/grants/{grant['id']}")).json()["status"] == "notice"
    cancelled = await api.ok(
        "township",
        f"/api/v1/grants/{approved[0]['id']}/transitions",
        {"action": "cancel", "reason": "household moved"},
        200,
    )
    assert cancelled["status"] == "cancelled"
    assert (await api.ok("township", url, {"action": "approve"}, 200))["status"] == "approved"
    assert await api.invariants() == []


async def test_the_card_is_masked_except_for_funds_officers(with_budget: FundsApi) -> None:
    api = with_budget
    await api.lock_in("hh-1", card="6230520000009876")
    masked = (await api.get("township", "/api/v1/roster/hh-1")).json()["bank_account"]
    assert masked == {"bank": "农村信用社", "account_masked": "6230********9876"}
    full = (await api.get("funds", "/api/v1/roster/hh-1")).json()["bank_account"]
    assert full["account_number"] == "6230520000009876"


async def test_an_idempotency_key_replays_the_first_application(with_budget: FundsApi) -> None:
    api = with_budget
    await api.lock_in("hh-1")
    body = {
        "program_id": "industry-2026",
        "household_id": "hh-1",
        "period": "2026",
        "details": {"industries": ["farming"]},
    }
    first = await api.post("clerk", "/api/v1/grants", body, headers={"Idempotency-Key": "k-1"})
    again = await api.post("clerk", "/api/v1/grants", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert len(await _grants(api)) == 1
