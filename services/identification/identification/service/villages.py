"""Use cases of villages: keep their facts (versioned), assess them under the village rule."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.villages import VillageFacts, assess_village
from identification.repository import villages as repo
from identification.service.assessment import policy_or_default
from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.errors import Forbidden, InvalidInput

WRITERS = (Role.ADMIN, Role.COUNTY_APPROVER)


def _village(principal: Principal, code: str) -> None:
    try:
        level = divisions.level(code)
    except ValueError:
        level = ""
    if level != "village":
        raise InvalidInput("not-a-village", "code must name a village", "代码不是村级区划", field="code")
    if not principal.covers(code):
        raise Forbidden(
            "outside-jurisdiction", "village outside your jurisdiction", "村不在您的辖区内", field="code"
        )


async def set_village_facts(
    session: AsyncSession, principal: Principal, code: str, facts: VillageFacts, reason: str, now: datetime
) -> dict[str, Any]:
    """Store a new version of the village's facts (county approver, admin), with actor and reason."""
    principal.require_role(*WRITERS)
    _village(principal, code)
    found = await repo.latest_facts(session, code)
    version = (found[0] if found else 0) + 1
    await repo.add_facts(session, code, version, facts, now, principal.subject, reason)
    return {
        "village_code": code,
        "version": version,
        **asdict(facts),
        "updated_by": principal.subject,
        "reason": reason,
    }


async def village_assessment(
    session: AsyncSession, principal: Principal, code: str, policy_id: str | None, now: datetime
) -> dict[str, Any]:
    """Incidence, income against county/province, collective income, and the village rule's verdict."""
    _village(principal, code)
    stored = await policy_or_default(session, policy_id, code, now.year)
    county_code = code[:6] + "0" * 6
    village = await repo.area_totals(session, divisions.prefix(code))
    county = await repo.area_totals(session, divisions.prefix(county_code))
    found = await repo.latest_facts(session, code)
    facts = found[1] if found else None
    return {
        "village_code": code,
        "policy": {"id": stored.id, "name": stored.name, "version": stored.version},
        "village": asdict(village),
        "county": {"division_code": county_code, **asdict(county)},
        "facts": None if facts is None else {"version": found[0] if found else None, **asdict(facts)},
        **assess_village(stored.policy.village_rule, village, county, facts),
    }
