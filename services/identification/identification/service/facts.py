"""The projection of household facts, folded from registry events (snapshots, newest version wins)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from identification.repository import facts as repo
from jzkit.contracts.envelope import CloudEvent
from jzkit.contracts.registry import HouseholdFacts


async def apply_registry_event(session: AsyncSession, event: CloudEvent) -> None:
    """Upsert the household snapshot carried by ``event`` unless an equal or newer version is held."""
    doc = event.data.get("household")
    if doc is None:
        return
    facts = HouseholdFacts.model_validate(doc)
    await repo.upsert_facts(session, [repo.row_values(facts, datetime.now(UTC))])
