"""Factories of the events and program documents funds tests and benchmarks feed the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jzkit.contracts.envelope import CloudEvent
from jzkit.pii import PiiCipher
from jzkit.settings import CommonSettings

HOLDER_NAME = "王大山"


def industry_program(code: str = "industry-2026", **kw: Any) -> dict[str, Any]:
    """A household industry subsidy (产业到户补助): 2000–4000 yuan by type, capped at 4000."""
    doc: dict[str, Any] = {
        "code": code,
        "name": "产业到户补助",
        "year": 2026,
        "kind": "tiered",
        "rule": {
            "kind": "tiered",
            "tiers": {"farming": 200_000, "breeding": 300_000, "processing": 400_000, "services": 200_000},
            "cap_fen": 400_000,
        },
        "funding_sources": [{"source": "region", "percent": 70}, {"source": "county", "percent": 30}],
        "notice": "P7D",
    }
    return doc | kw


def registry_event(
    common: CommonSettings, household_id: str, division: str, version: int, card: str | None
) -> CloudEvent:
    pii = PiiCipher(common.pii_key.get_secret_value())
    bank = None
    if card:
        bank = {
            "bank": "农村信用社",
            "account_masked": card[:4] + "********" + card[-4:],
            "account_ciphertext": pii.encrypt(card),
            "holder_name_ciphertext": pii.encrypt(HOLDER_NAME),
        }
    facts = {
        "household_id": household_id,
        "household_version": version,
        "division_code": division,
        "status": "poor",
        "annual_net_income_fen": 300000,
        "members_count": 2,
        "per_capita_income_fen": 150000,
        "housing": "safe",
        "poverty_causes": ["illness"],
        "flags": {"dibao": True, "wubao": False},
        "has_disabled_member": False,
        "single_child": False,
        "all_daughters": False,
        "bank_account": bank,
        "members": [
            {
                "member_id": f"{household_id}-m1",
                "relation": "head",
                "sex": "male",
                "birth_date": "1980-01-01",
                "disability": False,
                "health": "healthy",
                "education": "primary",
                "labour": "full",
                "in_school": None,
                "id_number_masked": "5108**********1234",
                "id_number_hash": "h1",
            },
            {
                "member_id": f"{household_id}-m2",
                "relation": "child",
                "sex": "female",
                "birth_date": "2012-01-01",
                "disability": False,
                "health": "healthy",
                "education": "primary",
                "labour": "none",
                "in_school": "secondary",
                "id_number_masked": "5108**********5678",
                "id_number_hash": "h2",
            },
        ],
    }
    return CloudEvent(
        source="/jingzhun/registry",
        type="registry.household.updated",
        subject=household_id,
        data={"household": facts, "changed_fields": ["bank_account"]},
    )


def decision(household_id: str, division: str, what: str, at: datetime) -> CloudEvent:
    data = {
        "household_id": household_id,
        "division_code": division,
        "case_id": "case-1",
        "policy_id": "p",
        "members_count": 2,
        "decided_at": at.isoformat(),
    }
    return CloudEvent(
        source="/jingzhun/identification",
        type=f"identification.household.{what}",
        subject=household_id,
        data=data,
    )
