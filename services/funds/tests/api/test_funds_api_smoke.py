"""Smoke: a grant from application to approval."""

from __future__ import annotations

from typing import Any

FundsApi = Any  # the ``funds_api`` fixture (api/conftest.py)


async def test_grant_is_approved_and_reserved(with_budget: FundsApi) -> None:
    api = with_budget
    await api.lock_in("hh-1")
    grant = await api.approved_grant("hh-1")
    assert grant["status"] == "approved"
    assert grant["reserved_fen"] == {"region": 140000, "county": 60000}
    assert await api.invariants() == []
