"""The roster (锁定入库的贫困户): who may receive targeted funds, with the facts rules read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from funds.repository import roster as repo
from jzkit.contracts.envelope import CloudEvent
from jzkit.contracts.registry import HouseholdFacts


def _blank(household_id: str, division_code: str, now: datetime) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "division_code": division_code,
        "locked_in": False,
        "decided_at": None,
        "facts_version": 0,
        "facts": "{}",
        "bank_name": None,
        "account_masked": None,
        "account_ciphertext": None,
        "holder_name_ciphertext": None,
        "card_update_required": False,
        "updated_at": now,
    }


async def apply_decision(session: AsyncSession, event: CloudEvent, locked_in: bool) -> None:
    """Lock a household in (approved, reentered) or out (exited); an older decision changes nothing."""
    household_id = str(event.data["household_id"])
    decided_at = datetime.fromisoformat(str(event.data["decided_at"]))
    now = datetime.now(UTC)
    await repo.insert_or_ignore(session, _blank(household_id, str(event.data["division_code"]), now))
    row = await repo.get(session, household_id, lock=True)
    assert row is not None  # inserted just above
    if row.decided_at is not None and row.decided_at > decided_at:
        return
    await repo.update(
        session,
        household_id,
        {
            "locked_in": locked_in,
            "decided_at": decided_at,
            "division_code": event.data["division_code"],
            "updated_at": now,
        },
    )


async def apply_facts(session: AsyncSession, event: CloudEvent) -> None:
    """Store the registry's snapshot unless an equal or newer version is held."""
    facts = HouseholdFacts.model_validate(event.data["household"])
    now = datetime.now(UTC)
    await repo.insert_or_ignore(session, _blank(facts.household_id, facts.division_code, now))
    row = await repo.get(session, facts.household_id, lock=True)
    assert row is not None  # inserted just above
    if row.facts_version >= facts.household_version:
        return
    card = facts.bank_account
    changed_card = card is not None and card.account_ciphertext != row.account_ciphertext
    await repo.update(
        session,
        facts.household_id,
        {
            "division_code": facts.division_code,
            "facts_version": facts.household_version,
            "facts": json.dumps(facts.model_dump(mode="json"), ensure_ascii=False),
            "bank_name": card.bank if card else None,
            "account_masked": card.account_masked if card else None,
            "account_ciphertext": card.account_ciphertext if card else None,
            "holder_name_ciphertext": card.holder_name_ciphertext if card else None,
            # A new card clears the flag a returned payment raised.
            "card_update_required": bool(row.card_update_required) and not changed_card,
            "updated_at": now,
        },
    )
