"""Use case: draw a reproducible stratified spot-check sample (省抽查、市监督、县核查)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.spot_checks import ALGORITHM, draw
from identification.repository import villages as repo
from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.errors import Forbidden, InvalidInput
from jzkit.ids import new_id

CHECKERS = (Role.ADMIN, Role.COUNTY_APPROVER, Role.AUDITOR)


async def spot_check(
    session: AsyncSession,
    principal: Principal,
    *,
    division_code: str,
    seed: str,
    percent: int,
    minimum: int,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """Per township under ``division_code``, the households drawn by the published seed."""
    principal.require_role(*CHECKERS)
    try:
        level = divisions.level(division_code)
    except ValueError:
        level = "village"
    if divisions.LEVELS.index(level) >= divisions.LEVELS.index("township"):
        raise InvalidInput(
            "not-above-township",
            "spot checks are drawn over a county or larger",
            "抽查范围须为县级及以上",
            field="division_code",
        )
    if not principal.covers(division_code):
        raise Forbidden(
            "outside-jurisdiction",
            "division outside your jurisdiction",
            "区划不在您的辖区内",
            field="division_code",
        )
    strata: dict[str, list[str]] = {}
    for household_id, code in await repo.households_by_division(session, divisions.prefix(division_code)):
        strata.setdefault(code[:9] + "000", []).append(household_id)
    result = {
        "id": new_id(),
        "division_code": division_code,
        "seed": seed,
        "algorithm": ALGORITHM,
        "size_rule": {"percent": percent, "min": minimum},
        "strata": [
            {
                "township_code": s.township_code,
                "population": s.population,
                "sample_size": len(s.sample),
                "sample": s.sample,
            }
            for s in draw(seed, strata, percent, minimum)
        ],
        "drawn_at": now.isoformat(),
        "drawn_by": principal.subject,
    }
    await repo.add_spot_check(
        session,
        {
            "id": result["id"],
            "division_code": division_code,
            "seed": seed,
            "result": json.dumps(result, ensure_ascii=False),
            "created_at": now,
            "created_by": principal.subject,
            "reason": reason,
        },
    )
    return result
