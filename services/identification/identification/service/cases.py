"""Use cases: open a case (申请/启动) on a snapshot of facts and a policy version; read and list cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.evaluate import assess
from identification.domain.procedure import Stage
from identification.domain.working_days import add_working_days
from identification.models.case import IdentificationCase
from identification.repository import cases as repo
from identification.repository.facts import get_decision, get_facts, set_decision
from identification.service.case_record import Act, record_opening
from identification.service.case_views import CaseView, case_view
from identification.service.policies import StoredPolicy, load_policy, policy_for
from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.contracts.registry import HouseholdFacts
from jzkit.errors import Conflict, InvalidInput, NotFound
from jzkit.ids import new_id

KINDS = ("entry", "exit", "reentry", "monitoring")
ORIGINS = ("self_report", "cadre_screening", "data_warning")
INCOME_RISK = "income"
# Opening is an application, not a decision: the roles that collect or screen may open; steps stay per role.
OPENERS = (Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER, Role.ADMIN, Role.SYSTEM)
# Which decision status each kind starts from, and the status while it runs.
_REQUIRED_STATUS = {"exit": ("poor",), "reentry": ("exited",)}
_UNDER_REVIEW_KINDS = ("entry", "reentry")


async def open_case(
    session: AsyncSession,
    *,
    principal: Principal,
    household_id: str,
    kind: str,
    policy_id: str | None,
    reason: str,
    now: datetime,
    review_id: str | None = None,
    origin: str | None = None,
    risk: str | None = None,
    evidence: list[str] | None = None,
) -> CaseView:
    """Open a case for a household (the batch re-review calls this too); refused with nothing changed."""
    principal.require_role(*OPENERS)
    if kind not in KINDS:
        raise InvalidInput(
            "invalid-kind", f"kind must be one of {', '.join(KINDS)}", "案件类型无效", field="kind"
        )
    facts = await get_facts(session, household_id)
    if facts is None or not principal.covers(facts.division_code):
        raise NotFound("household", household_id, "农户")
    stored = await _policy(session, policy_id, facts.division_code, now)
    if await repo.open_case_of(session, household_id) is not None:
        raise Conflict(
            "case-already-open", "the household already has an open case", "该户已有在办案件", "household_id"
        )
    status, monitored = await _decision(session, facts)
    removal = kind == "monitoring" and monitored
    _check_kind(kind, status)
    origin, risk = _monitoring_fields(kind, removal, origin, risk, review_id, stored, facts)
    case = IdentificationCase(
        id=new_id(),
        household_id=household_id,
        open_household_id=household_id,
        division_code=facts.division_code,
        kind=kind,
        removal=removal,
        origin=origin,
        risk=risk,
        stage=Stage.APPLIED.value,
        policy_id=stored.id,
        policy_version=stored.version,
        reason=reason,
        evidence=list(evidence or []),
        facts=facts.model_dump(mode="json"),
        assessment=assess(stored.policy, facts).model_dump(mode="json"),
        members_count=facts.members_count,
        open_objections=0,
        deadline_at=_deadline(kind, stored, now),
        review_id=review_id,
        opened_at=now,
        opened_by=principal.subject,
        updated_at=now,
        version=1,
    )
    session.add(case)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent opening for the same household won the unique index
        raise Conflict(
            "case-already-open", "the household already has an open case", "该户已有在办案件", "household_id"
        ) from None
    act = Act(principal.subject, principal.role.value, "open", reason, list(evidence or []), {"kind": kind})
    await record_opening(session, case, act)
    if kind in _UNDER_REVIEW_KINDS:
        await set_decision(session, household_id, status="under_review")
    await session.flush()
    return await load_view(session, case, now)


async def get_case(session: AsyncSession, principal: Principal, case_id: str, now: datetime) -> CaseView:
    """One case inside the caller's jurisdiction (404 otherwise: existence is not leaked)."""
    return await load_view(session, await visible_case(session, principal, case_id), now)


async def visible_case(
    session: AsyncSession, principal: Principal, case_id: str, *, lock: bool = False
) -> IdentificationCase:
    """The case if the caller's jurisdiction covers it; 404 otherwise."""
    case = await repo.get_case(session, case_id, lock=lock)
    if case is None or not principal.covers(case.division_code):
        raise NotFound("case", case_id, "案件")
    return case


async def load_view(session: AsyncSession, case: IdentificationCase, now: datetime) -> CaseView:
    """The full view of ``case`` with its history and objections."""
    steps = await repo.steps(session, case.id)
    objections = await repo.objections(session, case.id)
    return case_view(case, steps, objections, now)


async def _policy(
    session: AsyncSession, policy_id: str | None, division_code: str, now: datetime
) -> StoredPolicy:
    if policy_id is None:
        return await policy_for(session, division_code, now.year)
    stored = await load_policy(session, policy_id)
    if not divisions.contains(stored.division_code, division_code):
        raise InvalidInput(
            "policy-out-of-scope",
            "the policy does not cover the household's division",
            "该政策不适用于该户所在区划",
            field="policy",
        )
    return stored


async def _decision(session: AsyncSession, facts: HouseholdFacts) -> tuple[str, bool]:
    """(status, monitored); a household imported as poor or exited (registry status) counts as such."""
    held = await get_decision(session, facts.household_id)
    status, monitored = held if held is not None else ("registered", False)
    if status == "registered" and facts.status in ("poor", "exited"):
        status = facts.status
    return status, monitored


def _check_kind(kind: str, status: str) -> None:
    if kind in ("entry", "monitoring") and status == "poor":
        raise Conflict(
            "household-already-poor", "the household is already poor (locked in)", "该户已是建档立卡贫困户"
        )
    if kind == "entry" and status == "exited":
        raise Conflict(
            "household-exited", "an exited household re-enters with a reentry case", "已脱贫户须走返贫程序"
        )
    required = _REQUIRED_STATUS.get(kind)
    if required is not None and status not in required:
        raise Conflict(
            f"household-not-{required[0]}",
            f"a {kind} case needs a household that is {required[0]}, not {status}",
            f"{kind} 案件要求农户状态为 {required[0]}（当前 {status}）",
            field="kind",
        )


def _monitoring_fields(
    kind: str,
    removal: bool,
    origin: str | None,
    risk: str | None,
    review_id: str | None,
    stored: StoredPolicy,
    facts: HouseholdFacts,
) -> tuple[str | None, str | None]:
    if kind != "monitoring":
        if origin is not None or risk is not None:
            raise InvalidInput(
                "monitoring-only",
                "origin and risk belong to monitoring cases",
                "仅监测案件有来源和风险",
                "origin",
            )
        return None, None
    origin = origin or ("data_warning" if review_id else None)
    if origin not in ORIGINS:
        raise InvalidInput(
            "invalid-origin", f"origin must be one of {', '.join(ORIGINS)}", "监测来源无效", field="origin"
        )
    if removal:
        return origin, None
    shocks = stored.policy.monitoring.shocks
    if risk is None:  # the first qualifying shock among the causes, else the income risk
        risk = next((c for c in facts.poverty_causes if c in shocks), INCOME_RISK)
    if risk != INCOME_RISK and risk not in shocks:
        raise InvalidInput(
            "invalid-risk",
            f"risk must be income or one of {', '.join(shocks)}",
            "风险类型不在政策范围内",
            field="risk",
        )
    return origin, risk


def _deadline(kind: str, stored: StoredPolicy, now: datetime) -> datetime | None:
    if kind != "monitoring":
        return None
    return add_working_days(now, stored.policy.monitoring.deadline_working_days)
