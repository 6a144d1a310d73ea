"""Routes: disbursement batches, the payment file, bank reports, the ledger and the public report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from funds.api.deps import ContextDep, IdempotencyKey, SessionDep, SettingsDep
from funds.service import batches, ledger, reconcile
from funds.service.batches import BatchDraft
from jzkit import divisions
from jzkit.deps import RuntimeDep
from jzkit.errors import InvalidInput
from jzkit.idempotency import replay_or_run, request_hash
from jzkit.openapi_doc import file_response
from jzkit.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1", tags=["batches"])
XML = "application/xml"


@router.post("/batches", status_code=201)
async def create_batch(
    request: Request, draft: BatchDraft, session: SessionDep, ctx: ContextDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Build a batch; refused unless its approved grants add up to the declared control totals."""

    async def run() -> tuple[int, dict[str, Any]]:
        return 201, await batches.batch_doc(session, ctx, await batches.create_batch(session, ctx, draft))

    fingerprint = request_hash("POST /batches", await request.body())
    status, body = await replay_or_run(session, f"funds:{ctx.actor}", key, fingerprint, run)
    return JSONResponse(body, status_code=status)


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: str, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    """A batch, its control totals and its payments per status."""
    return await batches.batch_doc(session, ctx, batch_id)


@router.get(
    "/batches/{batch_id}/payment-file",
    response_class=Response,
    responses=file_response(XML, "The pain.001.001.09 file"),
)
async def payment_file(batch_id: str, session: SessionDep, ctx: ContextDep) -> Response:
    """The ISO 20022 pain.001.001.09 credit-transfer file (CNY, EndToEndId = the grant id)."""
    body = await batches.payment_file(session, ctx, batch_id)
    return Response(
        body, media_type=XML, headers={"Content-Disposition": f'attachment; filename="{batch_id}.xml"'}
    )


@router.post(
    "/batches/{batch_id}/bank-report",
    # Read from the request itself (XML, not a model), so FastAPI cannot document the body.
    openapi_extra={"requestBody": {"required": True, "content": {XML: {"schema": {"type": "string"}}}}},
)
async def bank_report(
    batch_id: str, request: Request, session: SessionDep, ctx: ContextDep
) -> dict[str, Any]:
    """A pain.002 status report or a camt.054 return notification (told apart by the root element)."""
    return await reconcile.apply_report(session, ctx, batch_id, await request.body())


@router.get("/payments")
async def list_payments(
    session: SessionDep, ctx: ContextDep, household_id: Annotated[str, Query(min_length=1, max_length=36)]
) -> dict[str, Any]:
    """Every payment attempt to one household (inside the caller's jurisdiction), card number masked."""
    return {"items": await batches.household_payments(session, ctx, household_id)}


@router.get("/ledger/accounts")
async def ledger_accounts(session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    """Every account inside the caller's jurisdiction with its balance."""
    return {"items": await ledger.accounts(session, ctx)}


@router.get("/ledger/entries")
async def ledger_entries(
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    account: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Ledger entries, oldest first."""
    size = min(limit or settings.page_size_default, settings.page_size_max)
    position = decode_cursor(cursor)
    rows = await ledger.entries(session, ctx, account, int(position["id"]) if position else None, size + 1)
    more = encode_cursor({"id": rows[size - 1]["id"]}) if len(rows) > size else None
    return {"items": rows[:size], "next_cursor": more}


@router.get("/public/fund-use", tags=["public"])
async def fund_use(
    session: SessionDep, runtime: RuntimeDep, division: Annotated[str, Query(pattern=r"^\d{12}$")]
) -> dict[str, Any]:
    """The fund-use report per village for the notice board (公开): no auth, no names, no card numbers."""
    try:
        prefix = divisions.prefix(division)
    except ValueError:  # 12 digits that name no division, e.g. 000000000000
        raise InvalidInput(
            "invalid-division-code", "division names no division", "区划代码无效", "division"
        ) from None
    return {"division": division, "items": await ledger.fund_use(session, prefix)}
