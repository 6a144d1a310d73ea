"""Routes: identification cases (识别/退出/返贫/监测) and their transitions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from identification.api.deps import ClockDep, CurrentUser, SessionDep, SettingsDep
from identification.domain.procedure import Action, Finding, Stage
from identification.repository import cases as repo
from identification.service import case_transitions, cases
from identification.service.case_views import CasePage, CaseView, case_summary
from jzkit import divisions
from jzkit.errors import Forbidden, InvalidInput
from jzkit.idempotency import replay_or_run, request_hash
from jzkit.pagination import decode_cursor, encode_cursor, etag, parse_if_match

router = APIRouter(prefix="/api/v1", tags=["cases"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Evidence = Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], Field(max_length=50)]


class CaseRequest(BaseModel):
    """Open a case: the household, what is asked, under which policy, why, on which evidence."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    household_id: str = Field(min_length=1, max_length=36)
    kind: Literal["entry", "exit", "reentry", "monitoring"]
    policy: str | None = Field(default=None, max_length=36)
    reason: Reason
    evidence: Evidence = []
    origin: Literal["self_report", "cadre_screening", "data_warning"] | None = None
    risk: str | None = Field(default=None, max_length=40)


class TransitionRequest(BaseModel):
    """One step: ``from_stage`` (optional) refuses the step if the case has moved on meanwhile."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: Action
    reason: Reason
    evidence: Evidence = []
    finding: Finding | None = None
    objection_id: str | None = Field(default=None, max_length=36)
    from_stage: Stage | None = None


def _case_response(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"ETag": etag(int(body["version"]))})


@router.post("/cases", status_code=201, response_model=CaseView)
async def open_case(
    request: Request,
    body: CaseRequest,
    session: SessionDep,
    user: CurrentUser,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Open a case; the facts snapshot, policy version and assessment are recorded with it."""

    async def run() -> tuple[int, dict[str, Any]]:
        view = await cases.open_case(
            session,
            principal=user,
            household_id=body.household_id,
            kind=body.kind,
            policy_id=body.policy,
            reason=body.reason,
            now=clock(),
            origin=body.origin,
            risk=body.risk,
            evidence=body.evidence,
        )
        return 201, view.model_dump(mode="json")

    fingerprint = request_hash("POST /cases", await request.body())
    status, doc = await replay_or_run(session, user.subject, idempotency_key, fingerprint, run)
    return _case_response(doc, status)


@router.get("/cases/{case_id}", response_model=CaseView)
async def get_case(case_id: str, session: SessionDep, user: CurrentUser, clock: ClockDep) -> JSONResponse:
    """One case with its snapshot, assessment, history and objections; ``ETag`` carries its version."""
    view = await cases.get_case(session, user, case_id, clock())
    return _case_response(view.model_dump(mode="json"))


@router.get("/cases", response_model=CasePage)
async def list_cases(
    session: SessionDep,
    user: CurrentUser,
    clock: ClockDep,
    settings: SettingsDep,
    division: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    stage: Stage | None = None,
    kind: Literal["entry", "exit", "reentry", "monitoring"] | None = None,
    overdue: bool | None = None,
    household_id: Annotated[str | None, Query(max_length=36)] = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> CasePage:
    """Cases inside the jurisdiction, oldest first (``household_id``: its dossier); overdue by the clock."""
    now = clock()
    flt = repo.CaseFilter(
        division_prefix=_scope_prefix(user.jurisdiction, division),
        stage=stage.value if stage else None,
        kind=kind,
        household_id=household_id,
        overdue_at=now if overdue is True else None,
        not_overdue_at=now if overdue is False else None,
    )
    size = min(limit or settings.page_size_default, settings.page_size_max)
    position = decode_cursor(cursor)
    rows = await repo.list_cases(session, flt, str(position["id"]) if position else None, size + 1)
    next_cursor = encode_cursor({"id": rows[size - 1].id}) if len(rows) > size else None
    return CasePage(items=[case_summary(c, now) for c in rows[:size]], next_cursor=next_cursor)


@router.post("/cases/{case_id}/transitions", response_model=CaseView)
async def transition(
    request: Request,
    case_id: str,
    body: TransitionRequest,
    session: SessionDep,
    user: CurrentUser,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Approve, reject, object or resolve; a refused step changes nothing. ``If-Match`` is optional."""
    version = parse_if_match(if_match, required=False)

    async def run() -> tuple[int, dict[str, Any]]:
        view = await case_transitions.transition(
            session,
            principal=user,
            case_id=case_id,
            action=body.action,
            reason=body.reason,
            now=clock(),
            evidence=body.evidence,
            finding=body.finding,
            from_stage=body.from_stage,
            objection_id=body.objection_id,
            if_version=version,
        )
        return 200, view.model_dump(mode="json")

    fingerprint = request_hash(f"POST /cases/{case_id}/transitions", await request.body())
    status, doc = await replay_or_run(session, user.subject, idempotency_key, fingerprint, run)
    return _case_response(doc, status)


def _scope_prefix(jurisdiction: str, division: str | None) -> str:
    """``division`` narrowed to the jurisdiction; a division outside it is refused."""
    scope = division or jurisdiction
    try:
        divisions.level(scope)
    except ValueError:
        raise InvalidInput(
            "invalid-division-code", "division names no division", "区划代码无效", "division"
        ) from None
    if not divisions.contains(jurisdiction, scope) and not divisions.contains(scope, jurisdiction):
        raise Forbidden(
            "outside-jurisdiction",
            "the division is outside your jurisdiction",
            "该行政区划不在您的管辖范围内",
            "division",
        )
    return max(divisions.prefix(scope), divisions.prefix(jurisdiction), key=len)
