"""Routes: programs and budgets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from funds.api.deps import ContextDep, IdempotencyKey, SessionDep, SettingsDep
from funds.domain.program import Program
from funds.repository import budgets as repo
from funds.service import budgets, programs
from funds.service.budgets import BudgetDraft
from jzkit.idempotency import replay_or_run, request_hash
from jzkit.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1", tags=["programs"])
Limit = Annotated[int | None, Query(ge=1)]


@router.post("/programs", status_code=201)
async def create_program(
    session: SessionDep, ctx: ContextDep, doc: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Store a program (validated; 422 names the field; immutable once stored)."""
    return programs.program_out(await programs.create_program(session, ctx, doc))


@router.get("/programs")
async def list_programs(
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    cursor: str | None = None,
    limit: Limit = None,
) -> dict[str, Any]:
    """Programs by id."""
    size = min(limit or settings.page_size_default, settings.page_size_max)
    position = decode_cursor(cursor)
    rows = await repo.list_programs(session, str(position["id"]) if position else None, size + 1)
    items = [programs.program_out(Program.model_validate_json(r.document)) for r in rows[:size]]
    more = encode_cursor({"id": rows[size - 1].id}) if len(rows) > size else None
    return {"items": items, "next_cursor": more}


@router.get("/programs/{program_id}")
async def get_program(program_id: str, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    """One program."""
    return programs.program_out(await programs.load_program(session, program_id, "path"))


@router.post("/budgets", status_code=201)
async def create_budget(
    request: Request, draft: BudgetDraft, session: SessionDep, ctx: ContextDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Allocate a budget (below a parent: taken out of the parent's available balance)."""

    async def run() -> tuple[int, dict[str, Any]]:
        budget_id = await budgets.create_budget(session, ctx, draft)
        return 201, await budgets.budget_out(session, ctx, budget_id)

    fingerprint = request_hash("POST /budgets", await request.body())
    status, body = await replay_or_run(session, f"budgets:{ctx.actor}", key, fingerprint, run)
    return JSONResponse(body, status_code=status)


@router.get("/budgets")
async def list_budgets(
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    division: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    program_id: str | None = None,
    cursor: str | None = None,
    limit: Limit = None,
) -> dict[str, Any]:
    """Budgets inside the caller's jurisdiction with their per-source balances."""
    size = min(limit or settings.page_size_default, settings.page_size_max)
    position = decode_cursor(cursor)
    rows = await repo.list_budgets(
        session, ctx.scope(division), program_id, str(position["id"]) if position else None, size + 1
    )
    found = await repo.balances_of(session, [r.id for r in rows[:size]])
    items = [budgets.budget_doc(r, found[r.id]) for r in rows[:size]]
    more = encode_cursor({"id": rows[size - 1].id}) if len(rows) > size else None
    return {"items": items, "next_cursor": more}


@router.get("/budgets/{budget_id}")
async def get_budget(budget_id: str, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    """One budget with its balances."""
    return await budgets.budget_out(session, ctx, budget_id)
