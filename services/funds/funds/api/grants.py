"""Routes: grants, their transitions, loans and the roster."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from funds.api.deps import ContextDep, IdempotencyKey, SessionDep, SettingsDep
from funds.repository import grants as grant_repo
from funds.repository import roster as roster_repo
from funds.service import grants, loans
from funds.service.grants import GrantDraft, TransitionDraft
from funds.service.loans import LoanDraft
from funds.service.views import grant_doc, roster_doc
from jzkit.errors import NotFound
from jzkit.idempotency import replay_or_run, request_hash
from jzkit.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1", tags=["grants"])
Limit = Annotated[int | None, Query(ge=1)]


async def _once(
    request: Request, session: SessionDep, ctx: ContextDep, key: str | None, run: Any, status: int = 201
) -> JSONResponse:
    async def wrapped() -> tuple[int, dict[str, Any]]:
        return status, await run()

    fingerprint = request_hash(request.method, request.url.path, await request.body())
    code, body = await replay_or_run(session, f"funds:{ctx.actor}", key, fingerprint, wrapped)
    return JSONResponse(body, status_code=code)


@router.post("/grants", status_code=201)
async def apply(
    request: Request, draft: GrantDraft, session: SessionDep, ctx: ContextDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Apply for a grant; the amount comes from the program's rule (a higher request is refused)."""
    return await _once(request, session, ctx, key, lambda: grants.apply(session, ctx, draft))


@router.post("/grants/{grant_id}/transitions")
async def transition(
    grant_id: str,
    request: Request,
    draft: TransitionDraft,
    session: SessionDep,
    ctx: ContextDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """``{action, reason}``: verify, publish, approve (reserves the money), reject, cancel, retry."""
    return await _once(
        request, session, ctx, key, lambda: grants.transition(session, ctx, grant_id, draft), 200
    )


@router.get("/grants/{grant_id}")
async def get_grant(grant_id: str, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    """One grant with its history."""
    return await grants.load_doc(session, ctx, grant_id)


@router.get("/grants")
async def list_grants(
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    division: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    status: str | None = None,
    program_id: str | None = None,
    household_id: Annotated[str | None, Query(max_length=36)] = None,
    cursor: str | None = None,
    limit: Limit = None,
) -> dict[str, Any]:
    """Grants inside the caller's jurisdiction (of one household with ``household_id``)."""
    size = min(limit or settings.page_size_default, settings.page_size_max)
    position = decode_cursor(cursor)
    after = str(position["id"]) if position else None
    rows = await grant_repo.list_in(
        session, ctx.scope(division), status, program_id, after, size + 1, household_id
    )
    more = encode_cursor({"id": rows[size - 1].id}) if len(rows) > size else None
    return {"items": [grant_doc(r, []) for r in rows[:size]], "next_cursor": more}


@router.post("/loans", status_code=201)
async def create_loan(
    request: Request, draft: LoanDraft, session: SessionDep, ctx: ContextDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Record a loan whose interest a program subsidises."""

    async def run() -> dict[str, Any]:
        return await loans.loan_doc(session, ctx, await loans.create_loan(session, ctx, draft), None, None)

    return await _once(request, session, ctx, key, run)


@router.get("/loans/{loan_id}")
async def get_loan(
    loan_id: str,
    session: SessionDep,
    ctx: ContextDep,
    program_id: str | None = None,
    period: str | None = None,
) -> dict[str, Any]:
    """A loan; with ``program_id`` and ``period`` the interest subsidy for that period (capped)."""
    return await loans.loan_doc(session, ctx, loan_id, program_id, period)


@router.get("/roster/{household_id}")
async def get_roster_entry(household_id: str, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    """A household on the roster; its card is masked except for funds officers."""
    row = await roster_repo.get(session, household_id)
    if row is None or not ctx.principal.covers(row.division_code):
        raise NotFound("household", household_id, "农户")
    return roster_doc(ctx, row)


@router.get("/roster")
async def list_roster(
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    division: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    cursor: str | None = None,
    limit: Limit = None,
) -> dict[str, Any]:
    """The roster inside the caller's jurisdiction."""
    size = min(limit or settings.page_size_default, settings.page_size_max)
    position = decode_cursor(cursor)
    rows = await roster_repo.list_in(
        session, ctx.scope(division), str(position["id"]) if position else None, size + 1
    )
    more = encode_cursor({"id": rows[size - 1].household_id}) if len(rows) > size else None
    return {"items": [roster_doc(ctx, r) for r in rows[:size]], "next_cursor": more}
