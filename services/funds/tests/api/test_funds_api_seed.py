"""The demo seed: the seed's programs and the county and 茶坝乡 budgets, loaded once."""

from __future__ import annotations

from typing import Any

from funds.seed import seed_demo

FundsApi = Any  # the ``funds_api`` fixture (api/conftest.py)


async def test_seed_demo_loads_programs_and_split_budgets_once(funds_api: FundsApi) -> None:
    sessions = funds_api.app.state.runtime.sessions
    async with sessions() as session, session.begin():
        assert await seed_demo(session) is True
    async with sessions() as session, session.begin():
        assert await seed_demo(session) is False
    codes = {p["id"] for p in (await funds_api.get("funds", "/api/v1/programs")).json()["items"]}
    assert "industry-subsidy-2026" in codes and len(codes) == 6
    budgets = (await funds_api.get("funds", "/api/v1/budgets", limit=100)).json()["items"]
    assert {b["division_code"] for b in budgets} == {"510822000000", "510822104000"}
    assert all(b["parent_id"] for b in budgets if b["division_code"] == "510822104000")
    assert await funds_api.invariants() == []
