"""Use cases of the batch re-review: queue a run, run it set-based, report it per village."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.reviews import CASE_KINDS, summarize
from identification.repository import quotas as quota_repo
from identification.repository import reviews as repo
from identification.service.assessment import policy_or_default
from identification.service.policies import load_policy
from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.errors import Forbidden, InvalidInput, NotFound
from jzkit.ids import new_id

RUNNERS = (Role.ADMIN, Role.COUNTY_APPROVER, Role.TOWNSHIP_REVIEWER)


def _json(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "id": m["id"],
        "division_code": m["division_code"],
        "year": m["year"],
        "policy_id": m["policy_id"],
        "dry_run": bool(m["dry_run"]),
        "status": m["status"],
        "phase": m["phase"],
        "progress": {"done": m["done"], "total": m["total"]},
        "error": m["error"],
        "requested_by": m["requested_by"],
        "reason": m["reason"],
        "created_at": m["created_at"].isoformat(),
        "finished_at": m["finished_at"].isoformat() if m["finished_at"] else None,
    }


async def create_review(
    session: AsyncSession,
    principal: Principal,
    *,
    division_code: str,
    policy_id: str | None,
    year: int,
    dry_run: bool,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """Queue a re-review of every household of ``division_code`` (admin, county, township)."""
    principal.require_role(*RUNNERS)
    if not divisions.is_code(division_code):
        raise InvalidInput(
            "invalid-division", "division_code must be 12 digits", "区划代码无效", field="division_code"
        )
    if not principal.covers(division_code):
        raise Forbidden(
            "outside-jurisdiction",
            "division outside your jurisdiction",
            "区划不在您的辖区内",
            field="division_code",
        )
    stored = await policy_or_default(session, policy_id, division_code, year)
    review_id = new_id()
    await repo.insert_review(
        session,
        {
            "id": review_id,
            "division_code": division_code,
            "year": year,
            "policy_id": stored.id,
            "dry_run": dry_run,
            "status": "queued",
            "phase": "queued",
            "done": 0,
            "total": 0,
            "requested_by": principal.subject,
            "requested_role": principal.role.value,
            "requested_jurisdiction": principal.jurisdiction,
            "reason": reason,
            "created_at": now,
        },
    )
    return await _visible(session, principal, review_id)


async def _visible(session: AsyncSession, principal: Principal, review_id: str) -> dict[str, Any]:
    row = await repo.get_review(session, review_id)
    if row is None or not principal.covers(str(row._mapping["division_code"])):
        raise NotFound("review", review_id, "复核")
    return _json(row)


async def review_report(session: AsyncSession, principal: Principal, review_id: str) -> dict[str, Any]:
    """Status, progress and (once evaluated) the per-village results with the households concerned."""
    review = await _visible(session, principal, review_id)
    row = await repo.get_review(session, review_id)
    assert row is not None
    summary = row._mapping["summary"]
    if summary is None:
        return {**review, "villages": None}
    villages: list[dict[str, Any]] = json.loads(summary)
    listed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in await repo.changes(session, review_id, (*CASE_KINDS, "below_cut")):
        m = item._mapping
        listed.setdefault((m["village_code"], m["outcome"]), []).append(
            {
                "household_id": m["household_id"],
                "members_count": m["members_count"],
                "score": m["score"],
                "priority": bool(m["priority"]),
                "per_capita_income_fen": m["per_capita_income_fen"],
                "case_id": m["case_id"],
                "case_error": m["case_error"],
            }
        )
    for v in villages:
        v["proposals"] = {o: listed.get((v["village_code"], o), []) for o in (*CASE_KINDS, "below_cut")}
    return {**review, "villages": villages}


async def evaluate_review(session: AsyncSession, review_id: str) -> tuple[int, bool]:
    """Evaluate, rank and classify every household of the review's division; (proposals to open, dry run)."""
    row = await repo.get_review(session, review_id)
    if row is None:
        raise NotFound("review", review_id, "复核")
    m = row._mapping
    stored = await load_policy(session, str(m["policy_id"]))
    prefix = divisions.prefix(str(m["division_code"]))
    year = int(m["year"])
    total = await repo.count_households(session, prefix)
    await repo.write_items(session, review_id, stored.policy, prefix, year)
    totals: list[tuple[str, str, int, int]] = []
    for village, outcome, households, people in map(tuple, await repo.outcome_totals(session, review_id)):
        totals.append((str(village), str(outcome), int(str(households)), int(str(people))))
    villages = summarize(totals, await quota_repo.village_quotas(session, prefix, year))
    proposals = sum(v["households"][o] for v in villages for o in CASE_KINDS)
    await repo.update_review(
        session,
        review_id,
        summary=json.dumps(villages, ensure_ascii=False),
        done=total,
        total=total,
        phase="evaluated",
    )
    return proposals, bool(m["dry_run"])
