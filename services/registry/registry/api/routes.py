"""Registry HTTP routes: thin, HTTP in and HTTP out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from jzkit.errors import Forbidden, InvalidInput
from jzkit.idempotency import replay_or_run, request_hash
from jzkit.idnumber import InvalidIdNumber, parse
from jzkit.pagination import decode_cursor, encode_cursor, etag, parse_if_match
from registry import divisions, member_service, repository, service
from registry.api.deps import ContextDep, CurrentUser, SessionDep, SettingsDep
from registry.domain.changes import HouseholdPatch, MemberAddition
from registry.domain.household import HouseholdDraft
from registry.domain.visibility import sees_full_id_numbers
from registry.views import DivisionOut, HouseholdOut, HouseholdPage, division_out, household_out

router = APIRouter(prefix="/api/v1")
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
IfMatch = Annotated[str | None, Header(alias="If-Match")]


def _household_response(doc: HouseholdOut | dict[str, Any], status: int = 200) -> JSONResponse:
    body = doc.model_dump(mode="json") if isinstance(doc, HouseholdOut) else doc
    return JSONResponse(body, status_code=status, headers={"ETag": etag(int(body["version"]))})


@router.get("/divisions/{code}", response_model=DivisionOut, tags=["divisions"])
async def get_division(code: str, session: SessionDep, _user: CurrentUser) -> DivisionOut:
    """One administrative division."""
    return division_out(await divisions.get(session, code))


@router.get("/divisions", response_model=list[DivisionOut], tags=["divisions"])
async def list_divisions(
    session: SessionDep, _user: CurrentUser, parent: str | None = None
) -> list[DivisionOut]:
    """Divisions directly under ``parent`` (provinces when omitted)."""
    return [division_out(d) for d in await divisions.children(session, parent)]


@router.post("/divisions/import", tags=["divisions"])
async def load_divisions(file: UploadFile, session: SessionDep, user: CurrentUser) -> dict[str, int]:
    """Load a division list (CSV ``code,name,level,parent_code``, UTF-8); all rows or none."""
    try:
        text = (await file.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "invalid-encoding", "division CSV must be UTF-8", "区划 CSV 须为 UTF-8 编码", field="file"
        ) from None
    return {"loaded": await divisions.load_csv(session, user, text)}


@router.post("/households", status_code=201, response_model=HouseholdOut, tags=["households"])
async def register_household(
    request: Request,
    draft: HouseholdDraft,
    session: SessionDep,
    ctx: ContextDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a household with its members (建档立卡)."""

    async def run() -> tuple[int, dict[str, Any]]:
        household, members = await service.register_household(session, ctx, draft, None)
        return 201, household_out(household, members, ctx.principal, ctx.pii).model_dump(mode="json")

    fingerprint = request_hash("POST /households", await request.body())
    status, body = await replay_or_run(session, ctx.principal.subject, idempotency_key, fingerprint, run)
    return _household_response(body, status)


@router.get("/households", response_model=HouseholdPage, tags=["households"])
async def list_households(
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    division: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    status: str | None = None,
    name: Annotated[str | None, Query(max_length=64)] = None,
    id_number: Annotated[str | None, Query(max_length=20)] = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> HouseholdPage:
    """Households inside the caller's jurisdiction (and ``division`` if given), oldest first."""
    principal = ctx.principal
    prefix = service.scope_prefix(principal, division)
    id_hash = None
    if id_number:
        if not sees_full_id_numbers(principal.role):
            raise Forbidden(
                "id-search-not-allowed",
                "your role may not search by ID number",
                "您的角色无权按身份证号查询",
                field="id_number",
            )
        try:
            id_hash = ctx.pii.blind_index(parse(id_number).number)
        except InvalidIdNumber:
            raise InvalidInput(
                "invalid-id-number", "ID number is invalid", "身份证号码无效", field="id_number"
            ) from None
    page_size = min(limit or settings.page_size_default, settings.page_size_max)
    position = decode_cursor(cursor)
    after = str(position.get("id")) if position else None
    flt = repository.HouseholdFilter(division_prefix=prefix, status=status, name=name, id_number_hash=id_hash)
    rows = await repository.list_households(session, flt, after, page_size + 1)
    members = await repository.get_members_of(session, [h.id for h in rows[:page_size]])
    items = [household_out(h, members[h.id], principal, ctx.pii) for h in rows[:page_size]]
    next_cursor = encode_cursor({"id": rows[page_size - 1].id}) if len(rows) > page_size else None
    return HouseholdPage(items=items, next_cursor=next_cursor)


@router.get("/households/{household_id}", response_model=HouseholdOut, tags=["households"])
async def get_household(household_id: str, session: SessionDep, ctx: ContextDep) -> JSONResponse:
    """One household with members; the ``ETag`` header carries its version."""
    household = await service.load_visible(session, ctx.principal, household_id)
    members = await repository.get_members(session, household_id)
    return _household_response(household_out(household, members, ctx.principal, ctx.pii))


@router.patch("/households/{household_id}", response_model=HouseholdOut, tags=["households"])
async def patch_household(
    household_id: str, patch: HouseholdPatch, session: SessionDep, ctx: ContextDep, if_match: IfMatch = None
) -> JSONResponse:
    """Change a household; ``If-Match`` must carry the current ETag (412 when stale)."""
    version = parse_if_match(if_match)
    assert version is not None
    household, members = await service.update_household(session, ctx, household_id, patch, version)
    return _household_response(household_out(household, members, ctx.principal, ctx.pii))


@router.post(
    "/households/{household_id}/members", status_code=201, response_model=HouseholdOut, tags=["households"]
)
async def add_member(
    request: Request,
    household_id: str,
    addition: MemberAddition,
    session: SessionDep,
    ctx: ContextDep,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Add a member; returns the household. ``If-Match`` is honoured when sent."""
    version = parse_if_match(if_match, required=False)

    async def run() -> tuple[int, dict[str, Any]]:
        household, members, _ = await member_service.add_member(session, ctx, household_id, addition, version)
        return 201, household_out(household, members, ctx.principal, ctx.pii).model_dump(mode="json")

    fingerprint = request_hash(f"POST /households/{household_id}/members", await request.body())
    status, body = await replay_or_run(session, ctx.principal.subject, idempotency_key, fingerprint, run)
    return _household_response(body, status)


@router.delete(
    "/households/{household_id}/members/{member_id}", response_model=HouseholdOut, tags=["households"]
)
async def remove_member(
    household_id: str,
    member_id: str,
    session: SessionDep,
    ctx: ContextDep,
    reason: Annotated[str, Query(min_length=1, max_length=500)],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Remove a member (not the head); ``reason`` is required and goes to the audit log."""
    version = parse_if_match(if_match, required=False)
    household, members = await member_service.remove_member(
        session, ctx, household_id, member_id, reason, version
    )
    return _household_response(household_out(household, members, ctx.principal, ctx.pii))
