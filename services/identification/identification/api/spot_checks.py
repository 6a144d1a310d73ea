"""Routes: reproducible spot-check samples."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from identification.api.deps import ClockDep, CurrentUser, SessionDep
from identification.service.spot_checks import spot_check

router = APIRouter(prefix="/api/v1/spot-checks", tags=["spot-checks"])


class SizeRule(BaseModel):
    """Per township: ``percent`` of the households, at least ``min``."""

    percent: int = Field(ge=0, le=100)
    min: int = Field(default=0, ge=0)


class SpotCheckIn(BaseModel):
    """Where to draw, the published seed, and the size rule."""

    division_code: str
    seed: str = Field(min_length=1, max_length=200)
    per_township: SizeRule
    reason: str = Field(default="spot check", min_length=1, max_length=500)


@router.post("", status_code=201)
async def create_spot_check(
    body: SpotCheckIn, session: SessionDep, user: CurrentUser, clock: ClockDep
) -> JSONResponse:
    """Draw the sample; the response names seed, algorithm, population per township and the sample."""
    result = await spot_check(
        session,
        user,
        division_code=body.division_code,
        seed=body.seed,
        percent=body.per_township.percent,
        minimum=body.per_township.min,
        reason=body.reason,
        now=clock(),
    )
    return JSONResponse(result, status_code=201)
