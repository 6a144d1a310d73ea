"""The gateway's own composite routes: the household dossier and the public notice board."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials

from gateway import board, notice_page
from gateway.dossier import Dossier
from gateway.proxy import Upstream
from jzkit import divisions
from jzkit.auth import Principal
from jzkit.errors import InvalidInput
from jzkit.openapi_doc import BEARER, problems

router = APIRouter(prefix="/api/v1")
DivisionCode = Annotated[str, Query(pattern=r"^[0-9]{12}$", description="12-digit division code")]


async def caller(
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Principal:
    """The verified caller, within its rate limit (``_scheme`` documents the bearer token)."""
    principal: Principal = await request.app.state.edge.authenticate(request)
    return principal


async def public_caller(request: Request) -> None:
    """Anyone, within the per-address rate limit."""
    request.app.state.edge.limit_public(request)


def _require_division(code: str, field: str) -> None:
    """422 naming ``field`` for 12 digits that name no division (the services would refuse it upstream)."""
    try:
        divisions.level(code)
    except ValueError:
        raise InvalidInput(
            "invalid-division-code", "division names no division", "区划代码无效", field
        ) from None


def _upstreams(request: Request) -> dict[str, Upstream]:
    upstreams: dict[str, Upstream] = request.app.state.upstreams
    return upstreams


@router.get("/households/{household_id}/dossier", tags=["households"], responses=problems(502, 504))
async def household_dossier(
    request: Request,
    household_id: Annotated[str, Path(max_length=64)],
    _: Annotated[Principal, Depends(caller)],
) -> dict[str, Any]:
    """一户一档: registry record, assessment, cases, roster, grants, audit trail; failures in ``missing``."""
    dossier = Dossier(
        _upstreams(request), request.headers["authorization"], request.headers.get("accept-language")
    )
    return await dossier.build(household_id)


@router.get("/public/board", tags=["public"], dependencies=[Depends(public_caller)], responses=problems(502))
async def public_board(request: Request, division: DivisionCode) -> dict[str, Any]:
    """The notice board by village: name, households under notice (masked), fund use; no authentication."""
    _require_division(division, "division")
    return await board.board(_upstreams(request), division)


@router.get(
    "/public/villages/{code}/notice.html",
    tags=["public"],
    response_class=HTMLResponse,
    dependencies=[Depends(public_caller)],
    responses=problems(502),
)
async def village_notice_page(
    request: Request, code: Annotated[str, Path(pattern=r"^[0-9]{12}$")]
) -> HTMLResponse:
    """The printable notice of one village (zh-CN): full name, period, households, fund use, how to object."""
    _require_division(code, "code")
    html = notice_page.render(code, await board.village(_upstreams(request), code), datetime.now(UTC))
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=60"})
