"""Use case: assess one household under a policy and explain every rule (为什么不是我?)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.evaluate import assess
from identification.repository import facts as facts_repo
from identification.service.policies import StoredPolicy, load_policy, policy_for
from jzkit.auth import Principal
from jzkit.errors import NotFound


async def policy_or_default(
    session: AsyncSession, policy_id: str | None, division_code: str, year: int
) -> StoredPolicy:
    """The named policy, or the most specific one for ``division_code`` in ``year``."""
    if policy_id:
        return await load_policy(session, policy_id)
    return await policy_for(session, division_code, year)


async def household_assessment(
    session: AsyncSession, principal: Principal, household_id: str, policy_id: str | None, now: datetime
) -> dict[str, Any]:
    """Eligibility, score, priorities, exclusions and each rule's inputs and outcome."""
    facts = await facts_repo.get_facts(session, household_id)
    # Outside the caller's area a household is as invisible as a missing one.
    if facts is None or not principal.covers(facts.division_code):
        raise NotFound("household", household_id, "农户")
    stored = await policy_or_default(session, policy_id, facts.division_code, now.year)
    decision = await facts_repo.get_decision(session, household_id)
    status, monitored = decision if decision else ("registered", False)
    result = assess(stored.policy, facts).model_dump(mode="json")
    return {
        "policy": {"id": stored.id, "name": stored.name, "version": stored.version},
        "division_code": facts.division_code,
        "decision_status": status,
        "monitored": monitored,
        **result,
    }
