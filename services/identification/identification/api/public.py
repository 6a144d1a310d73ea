"""Routes: the public notice board (公示栏) and objections from the public — no authentication."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from identification.api.deps import ClockDep, SessionDep, SettingsDep
from identification.repository import cases as repo
from identification.service import notices
from identification.service.notices import NoticePage, ObjectionReceipt
from jzkit import divisions
from jzkit.errors import InvalidInput
from jzkit.idempotency import replay_or_run, request_hash
from jzkit.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1/public", tags=["public"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
# Idempotency records of anonymous callers share one scope; their keys are random (UUIDs) in practice.
PUBLIC_SCOPE = "public"


class PublicObjection(BaseModel):
    """What anyone may say about a household under notice; ``contact`` is seen only by investigators."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=2000)
    contact: str | None = Field(default=None, max_length=200)


@router.get("/notices", response_model=NoticePage)
async def notice_board(
    session: SessionDep,
    settings: SettingsDep,
    division: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> NoticePage:
    """Households under notice, by village: short household id and size only (no names, no ID numbers)."""
    prefix = ""
    if division is not None:
        try:
            prefix = divisions.prefix(division)
        except ValueError:
            raise InvalidInput(
                "invalid-division-code", "division names no division", "区划代码无效", "division"
            ) from None
    size = min(limit or settings.page_size_default, settings.page_size_max)
    position = decode_cursor(cursor)
    after = (str(position.get("village")), str(position.get("id"))) if position else None
    rows = await repo.public_notices(session, prefix, after, size + 1)
    last = rows[size - 1] if len(rows) > size else None
    next_cursor = encode_cursor({"village": last.division_code, "id": last.id}) if last else None
    return NoticePage(items=[notices.notice_item(c) for c in rows[:size]], next_cursor=next_cursor)


@router.post("/notices/{notice_id}/objections", status_code=201, response_model=ObjectionReceipt)
async def object_to_notice(
    request: Request,
    notice_id: str,
    body: PublicObjection,
    session: SessionDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """File an objection during a notice: the case's notice clock stops until a reviewer resolves it."""

    async def run() -> tuple[int, dict[str, Any]]:
        receipt = await notices.file_public_objection(session, notice_id, body.text, body.contact, clock())
        return 201, receipt.model_dump(mode="json")

    fingerprint = request_hash(f"POST /public/notices/{notice_id}/objections", await request.body())
    status, doc = await replay_or_run(session, PUBLIC_SCOPE, idempotency_key, fingerprint, run)
    return JSONResponse(doc, status_code=status)
