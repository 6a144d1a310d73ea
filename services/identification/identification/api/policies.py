"""Routes: policies (versioned, immutable policy documents)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from identification.api.deps import ClockDep, CurrentUser, SessionDep, SettingsDep
from identification.api.paging import after_id, page, page_size
from identification.service import policies

router = APIRouter(prefix="/api/v1/policies", tags=["policies"])


class PolicyCreate(BaseModel):
    """A new policy version: the document (validated against the policy schema) and why."""

    document: dict[str, Any]
    reason: str = Field(min_length=1, max_length=500)


@router.post("", status_code=201)
async def create_policy(
    body: PolicyCreate, session: SessionDep, user: CurrentUser, clock: ClockDep
) -> JSONResponse:
    """Store a new policy version (admin, county approver); a bad document is refused naming the field."""
    stored = await policies.create_policy(session, user, body.document, body.reason, clock())
    return JSONResponse(
        stored.to_json(), status_code=201, headers={"Location": f"/api/v1/policies/{stored.id}"}
    )


@router.get("")
async def list_policies(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """All policy versions, by id (policies are public rules: any authenticated role may read them)."""
    size = page_size(settings, limit)
    rows = await policies.list_policies(session, after_id(cursor), size + 1)
    return page([r.to_json() for r in rows], size)


@router.get("/{policy_id}")
async def get_policy(policy_id: str, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """One stored policy version."""
    return (await policies.load_policy(session, policy_id)).to_json()
