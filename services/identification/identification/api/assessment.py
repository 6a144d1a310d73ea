"""Routes: the assessment of one household ("why not me?")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from identification.api.deps import ClockDep, CurrentUser, SessionDep
from identification.service.assessment import household_assessment

router = APIRouter(prefix="/api/v1/households", tags=["assessment"])


@router.get("/{household_id}/assessment")
async def get_assessment(
    household_id: str, session: SessionDep, user: CurrentUser, clock: ClockDep, policy: str | None = None
) -> dict[str, Any]:
    """Eligibility, score, priority flags, exclusions and every rule's inputs and outcome (zh/en labels)."""
    return await household_assessment(session, user, household_id, policy, clock())
