"""Routes: village facts and the village assessment (一高一低一无)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from identification.api.deps import ClockDep, CurrentUser, SessionDep
from identification.domain.villages import VillageFacts
from identification.service import villages

router = APIRouter(prefix="/api/v1/villages", tags=["villages"])


class VillageFactsIn(BaseModel):
    """Facts registry events do not carry; each PUT stores a new version with actor and reason."""

    collective_income_fen: int = Field(ge=0)
    model_village: bool = False
    province_incidence_permyriad: int | None = Field(default=None, ge=0, le=10_000)
    province_per_capita_income_fen: int | None = Field(default=None, ge=0)
    reason: str = Field(min_length=1, max_length=500)


@router.put("/{code}/facts")
async def put_facts(
    code: str, body: VillageFactsIn, session: SessionDep, user: CurrentUser, clock: ClockDep
) -> dict[str, Any]:
    """Store the village's collective income, model-village flag and provincial figures (new version)."""
    facts = VillageFacts(
        body.collective_income_fen,
        body.model_village,
        body.province_incidence_permyriad,
        body.province_per_capita_income_fen,
    )
    return await villages.set_village_facts(session, user, code, facts, body.reason, clock())


@router.get("/{code}/assessment")
async def get_assessment(
    code: str, session: SessionDep, user: CurrentUser, clock: ClockDep, policy: str | None = None
) -> dict[str, Any]:
    """Incidence, income versus county/province averages, collective income and the rule's verdict."""
    return await villages.village_assessment(session, user, code, policy, clock())
