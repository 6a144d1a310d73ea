"""Routes: people quotas per division and year (规模控制)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from identification.api.deps import ClockDep, CurrentUser, SessionDep, SettingsDep
from identification.api.paging import after_id, page, page_size
from identification.service import quotas

router = APIRouter(prefix="/api/v1/quotas", tags=["quotas"])


class QuotaSet(BaseModel):
    """A division's people quota for a year."""

    division_code: str
    year: int = Field(ge=2000, le=2100)
    people: int = Field(ge=0)
    reason: str = Field(min_length=1, max_length=500)


@router.post("", status_code=201)
async def set_quota(body: QuotaSet, session: SessionDep, user: CurrentUser, clock: ClockDep) -> JSONResponse:
    """Create or change a quota (admin, county approver); children may not exceed the parent."""
    quota = await quotas.set_quota(
        session, user, body.division_code, body.year, body.people, body.reason, clock()
    )
    return JSONResponse(quota, status_code=201)


@router.get("")
async def list_quotas(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    division: str,
    year: int | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Quotas inside ``division`` (the division's own and its sub-divisions')."""
    size = page_size(settings, limit)
    items = await quotas.list_quotas(session, user, division, year, after_id(cursor), size + 1)
    return page(items, size)
