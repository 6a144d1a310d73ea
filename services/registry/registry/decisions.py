"""Use case: mirror an identification decision into the household's status (with its own event)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit import metrics
from jzkit.contracts.envelope import CloudEvent
from jzkit.contracts.registry import HouseholdUpdated
from registry import repository
from registry.domain.status import status_after
from registry.events.publish import emit, household_facts

log = logging.getLogger(__name__)
DECIDED_BY = "identification"


async def apply_decision(session: AsyncSession, event: CloudEvent) -> None:
    """Set the status ``event`` decides unless a later decision was already applied."""
    status = status_after(event.type, event.data)
    household_id = event.data.get("household_id")
    if status is None or not isinstance(household_id, str):
        return
    household = await repository.get_household_for_update(session, household_id)
    if household is None:
        # Identification only decides about households it learnt of from this registry's events.
        log.warning("decision %s about an unknown household %s ignored", event.type, household_id)
        return
    # Events can be redelivered out of order: an older decision never overwrites a newer one.
    if household.status_changed_at is not None and event.time < household.status_changed_at:
        metrics.EVENTS_SUPERSEDED.labels("registry", event.type).inc()
        return
    household.status_changed_at = event.time
    if household.status == status:
        return
    household.status = status.value
    household.version += 1
    household.updated_at = event.time
    household.updated_by = event.actor or DECIDED_BY
    members = await repository.get_members(session, household_id)
    await session.flush()
    emit(
        session,
        HouseholdUpdated(household=household_facts(household, members), changed_fields=["status"]),
        household.id,
        household.updated_by,
        event.reason,
    )
