"""Demo world for embedded mode: 青川县, its townships and 茶坝乡's 11 villages, with households."""

from __future__ import annotations

from datetime import date
from importlib import resources

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.auth import Principal, Role
from jzkit.pii import PiiCipher
from registry import divisions, repository, service
from registry.domain.household import Limits
from registry.synth import Synthesizer

DEMO_HOUSEHOLDS_PER_VILLAGE = 6
DEMO_ACTOR = Principal(subject="seed", role=Role.SYSTEM, jurisdiction="510000000000")


def world_csv() -> str:
    """The demo division list shipped with the package."""
    return resources.files("registry.demo").joinpath("world.csv").read_text(encoding="utf-8")


async def seed_demo(session: AsyncSession, pii: PiiCipher, limits: Limits) -> int:
    """Load the demo world if the registry is empty; returns the number of households created."""
    if await repository.count_divisions(session) > 0:
        return 0
    rows = divisions.parse_csv(world_csv())
    await repository.upsert_divisions(session, rows)
    villages = [(r.code, r.name) for r in rows if r.level == "village"]
    ctx = service.Context(principal=DEMO_ACTOR, pii=pii, limits=limits, today=date.today())
    synth = Synthesizer(seed=2736)
    created = 0
    for draft in synth.households(DEMO_HOUSEHOLDS_PER_VILLAGE * len(villages), villages):
        await service.register_household(session, ctx, draft, "demo data")
        created += 1
    return created
