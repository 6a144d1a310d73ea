"""Synthetic household facts (tests, demo, benchmark): the shape registry events carry."""

from __future__ import annotations

from datetime import date
from typing import Any

from jzkit.contracts.registry import HouseholdFacts, MemberFacts
from jzkit.ids import new_id


def member(**overrides: Any) -> MemberFacts:
    """One member; fields not given take plain defaults (healthy adult head, full labour)."""
    doc: dict[str, Any] = {
        "member_id": new_id(),
        "relation": "head",
        "sex": "male",
        "birth_date": date(1980, 1, 1),
        "disability": False,
        "health": "healthy",
        "education": "primary",
        "labour": "full",
        "in_school": None,
        "id_number_masked": "5108**********1234",
        "id_number_hash": "0" * 64,
    }
    doc.update(overrides)
    return MemberFacts(**doc)


def household_facts(
    division_code: str = "510822104201",
    *,
    annual_net_income_fen: int = 600_000,
    members: list[MemberFacts] | None = None,
    **overrides: Any,
) -> HouseholdFacts:
    """A household snapshot; counts, per-capita income and priority facts derived from ``members``."""
    people = members if members is not None else [member(), member(relation="spouse", sex="female")]
    children = [m for m in people if m.relation == "child"]
    doc: dict[str, Any] = {
        "household_id": new_id(),
        "household_version": 1,
        "division_code": division_code,
        "status": "registered",
        "annual_net_income_fen": annual_net_income_fen,
        "members_count": len(people),
        "per_capita_income_fen": annual_net_income_fen // len(people) if people else 0,
        "housing": "basic",
        "poverty_causes": [],
        "flags": {},
        "has_disabled_member": any(m.disability for m in people),
        "single_child": len(children) == 1,
        "all_daughters": bool(children) and all(m.sex == "female" for m in children),
        "bank_account": None,
        "members": people,
    }
    doc.update(overrides)
    return HouseholdFacts(**doc)
