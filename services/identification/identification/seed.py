"""Demo data of embedded mode: the seed's default policy and the people quotas of 青川县."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from identification.policies import DEFAULT, document
from identification.repository import policies as policy_repo
from identification.service import policies, quotas
from jzkit.auth import Principal, Role

COUNTY = "510822000000"  # 青川县
CHABA = "510822104000"  # 茶坝乡
QIAOZHUANG = "510822100000"  # 乔庄镇
# The seed's quotas of 茶坝乡's 11 villages (炉场村 … 三溪村), in village-code order.
CHABA_VILLAGES = (95, 123, 75, 130, 112, 81, 69, 57, 72, 47, 46)
QIAOZHUANG_VILLAGES = (60, 50, 40)
COUNTY_PEOPLE = 1200  # at least the townships' sum, with room for the county to hold back
REASON = "demo seed"


def _villages(township: str, people: tuple[int, ...]) -> list[tuple[str, int]]:
    return [(f"{township[:9]}{201 + i:03d}", p) for i, p in enumerate(people)]


async def seed_demo(session: AsyncSession) -> bool:
    """Store the default policy and the demo quotas; False when they are there already."""
    if await policy_repo.by_name(session, document(DEFAULT)["name"]) is not None:
        return False
    actor = Principal(subject="seed", role=Role.ADMIN, jurisdiction="510000000000")
    now = datetime.now(UTC)
    stored = await policies.create_policy(session, actor, document(DEFAULT), REASON, now)
    year = stored.year
    plan = [
        (COUNTY, COUNTY_PEOPLE),
        (CHABA, sum(CHABA_VILLAGES)),
        (QIAOZHUANG, sum(QIAOZHUANG_VILLAGES)),
        *_villages(CHABA, CHABA_VILLAGES),
        *_villages(QIAOZHUANG, QIAOZHUANG_VILLAGES),
    ]
    for code, people in plan:
        await quotas.set_quota(session, actor, code, year, people, REASON, now)
    return True
