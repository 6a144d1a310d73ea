"""Demo data for embedded mode: the seed's programs and budgets for 青川县 and 茶坝乡 below it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain.budget import split_by_sources
from funds.domain.program import parse_program_set
from funds.repository import budgets as repo
from funds.service import budgets, programs
from funds.service.budgets import BudgetDraft
from funds.service.context import Context
from funds.settings import get_settings
from jzkit.auth import Principal, Role
from jzkit.pii import PiiCipher
from jzkit.settings import get_common_settings

COUNTY = "510822000000"  # 青川县
CHABA = "510822104000"  # 茶坝乡
# Demo budgets in fen: the county's per program, and the share of it passed down to 茶坝乡.
COUNTY_BUDGET_FEN = 200_000_000
CHABA_BUDGET_FEN = 60_000_000
SEED_ACTOR = Principal(subject="seed", role=Role.ADMIN, jurisdiction="510000000000")


def demo_programs() -> dict[str, Any]:
    """The demo program set shipped with the package."""
    text = resources.files("funds.programs").joinpath("demo-2026.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


async def seed_demo(session: AsyncSession) -> bool:
    """Load the demo programs and budgets unless programs exist; True when something was loaded."""
    if await repo.list_programs(session, None, 1):
        return False
    common = get_common_settings()
    ctx = Context(SEED_ACTOR, datetime.now(UTC), PiiCipher(common.pii_key.get_secret_value()), get_settings())
    program_set = parse_program_set(demo_programs())
    for program in program_set.programs:
        await programs.create_program(session, ctx, json.loads(program.model_dump_json()))
        for division, total in ((COUNTY, COUNTY_BUDGET_FEN), (CHABA, CHABA_BUDGET_FEN)):
            amounts = {s: a for s, a in split_by_sources(total, program.funding_sources).items() if a}
            draft = BudgetDraft(
                program_id=program.code,
                division_code=division,
                year=program.year,
                amounts_fen=amounts,
                reason="demo budget",
            )
            await budgets.create_budget(session, ctx, draft)
    await session.flush()
    return True
