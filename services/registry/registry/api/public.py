"""Routes anyone may call (公开): division names for the printed notices — no authentication."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import StringConstraints

from registry import divisions
from registry.api.deps import SessionDep
from registry.views import DivisionList, DivisionWithAncestorsOut, division_out

router = APIRouter(prefix="/api/v1/public", tags=["public"])
# Codes per batch read: a county board's villages in a few requests, a bounded query each.
CODES_PER_READ = 200
Code = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]


@router.get("/divisions", response_model=DivisionList)
async def public_divisions(
    session: SessionDep,
    code: Annotated[
        list[Code], Query(min_length=1, max_length=CODES_PER_READ, description="12-digit codes, repeated")
    ],
) -> DivisionList:
    """The named divisions the registry holds, by code (unknown codes are left out): names for a board."""
    return DivisionList(items=[division_out(d) for d in await divisions.named(session, code)])


@router.get("/divisions/{code}", response_model=DivisionWithAncestorsOut)
async def public_division(
    code: Annotated[str, Path(pattern=r"^[0-9]{12}$", description="12-digit division code")],
    session: SessionDep,
) -> DivisionWithAncestorsOut:
    """One division with the divisions above it, province first (names are public administrative data)."""
    division, ancestors = await divisions.with_ancestors(session, code)
    return DivisionWithAncestorsOut(
        **division_out(division).model_dump(), ancestors=[division_out(a) for a in ancestors]
    )
