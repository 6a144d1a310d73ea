"""Routes: batch re-review runs (动态管理) and their per-village results."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from identification.api.deps import ClockDep, CurrentUser, SessionDep
from identification.service import reviews

router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"])


class ReviewCreate(BaseModel):
    """What to re-review: a division, a year (quotas), optionally a policy; ``dry_run`` opens no cases."""

    division_code: str
    year: int = Field(ge=2000, le=2100)
    policy: str | None = None
    dry_run: bool = True
    reason: str = Field(min_length=1, max_length=500)


@router.post("", status_code=202)
async def create_review(
    body: ReviewCreate,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    user: CurrentUser,
    clock: ClockDep,
) -> JSONResponse:
    """Queue a re-review job; poll ``GET /api/v1/reviews/{id}`` for progress and results."""
    review = await reviews.create_review(
        session,
        user,
        division_code=body.division_code,
        policy_id=body.policy,
        year=body.year,
        dry_run=body.dry_run,
        reason=body.reason,
        now=clock(),
    )
    # Background tasks run after the response, i.e. after the request's transaction committed.
    background.add_task(request.app.state.review_runner.wake)
    return JSONResponse(review, status_code=202, headers={"Location": f"/api/v1/reviews/{review['id']}"})


@router.get("/{review_id}")
async def get_review(review_id: str, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Status, progress and per-village results (stays, exits, entries, re-entries, monitoring, quota use)."""
    return await reviews.review_report(session, user, review_id)
