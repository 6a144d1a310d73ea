"""On PostgreSQL: the compiled evaluation agrees with Python, and a review classifies exactly as on SQLite."""

from __future__ import annotations

import asyncio
import random
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import identification
from identification.domain.evaluate import assess
from identification.domain.synthetic import household_facts, member
from identification.models.reviews import review_items
from identification.policies import DEFAULT, EXAMPLE, document
from identification.repository.evaluation import evaluation_select
from identification.repository.facts import row_values, set_decision, upsert_facts
from identification.service.policies import create_policy
from identification.service.quotas import set_quota
from identification.service.reviews import create_review, evaluate_review
from jzkit.auth import Principal, Role
from jzkit.contracts.registry import HouseholdFacts
from jzkit.db import make_engine, make_session_factory, unit_of_work
from jzkit.migrate import upgrade
from jzkit.pgadmin import recreate_database, with_database
from jzkit.testing.stack import drop_database

pytestmark = pytest.mark.stack

NOW = datetime(2026, 11, 28, tzinfo=UTC)
ADMIN = Principal(subject="stack-test", role=Role.ADMIN, jurisdiction="510000000000")
CAUSES = ["illness", "disability", "education", "disaster", "lack_of_labour", "lack_of_land", "other"]
FLAGS = ["idle_land", "crime", "family_planning_violation", "wubao", "dibao"]
STATUSES = ["registered", "registered", "registered", "poor", "exited", "rejected", "under_review"]


def synthetic(rng: random.Random, n: int) -> list[tuple[HouseholdFacts, str]]:
    """``n`` households over three villages, each with a decision status."""
    out = []
    for _ in range(n):
        people = [
            member(
                relation=rng.choice(["head", "spouse", "child", "parent"]),
                sex=rng.choice(["male", "female"]),
                birth_date=date(1975, 5, 5),
                disability=rng.random() < 0.1,
                health=rng.choice(["healthy", "chronic_illness", "serious_illness"]),
                labour=rng.choice(["full", "partial", "none"]),
                in_school=rng.choice([None, "primary"]),
            )
            for _ in range(rng.randint(1, 6))
        ]
        facts = household_facts(
            f"510822104{rng.randint(201, 203):03d}",
            annual_net_income_fen=rng.randint(0, 2_500_000),
            members=people,
            housing=rng.choice(["safe", "basic", "unsafe", "none"]),
            poverty_causes=rng.sample(CAUSES, rng.randint(0, 3)),
            flags={f: rng.random() < 0.5 for f in rng.sample(FLAGS, rng.randint(0, 2))},
        )
        out.append((facts, rng.choice(STATUSES)))
    return out


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    name = f"jz_ident_{uuid.uuid4().hex[:10]}"
    asyncio.run(recreate_database(pg_admin_url, name))
    url = with_database(pg_admin_url, name, "postgresql+asyncpg")
    upgrade(identification.MIGRATIONS_DIR, url)
    yield url
    asyncio.run(drop_database(pg_admin_url, name))


async def load(
    url: str, world: list[tuple[HouseholdFacts, str]]
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Store both policies, quotas and ``world``; run a review; return policy ids and the review's items."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        async with unit_of_work(sessions) as session:
            ids = [
                (await create_policy(session, ADMIN, document(d), "t", NOW)).id for d in (DEFAULT, EXAMPLE)
            ]
            await upsert_facts(session, [row_values(f, NOW) for f, _ in world])
            for facts, status in world:
                await set_decision(session, facts.household_id, status=status)
            for code, people in (("510822104000", 900), ("510822104201", 200), ("510822104202", 150)):
                await set_quota(session, ADMIN, code, 2016, people, "t", NOW)
            review = await create_review(
                session,
                ADMIN,
                division_code="510822104000",
                policy_id=ids[0],
                year=2016,
                dry_run=True,
                reason="t",
                now=NOW,
            )
        async with unit_of_work(sessions) as session:
            await evaluate_review(session, review["id"])
            stmt = (
                sa.select(
                    review_items.c.household_id,
                    review_items.c.outcome,
                    review_items.c.score,
                    review_items.c.priority,
                )
                .where(review_items.c.review_id == review["id"])
                .order_by(review_items.c.household_id)
            )
            items = [tuple(r) for r in (await session.execute(stmt)).all()]
        return ids, items
    finally:
        await engine.dispose()


async def test_postgres_agrees_with_python_and_with_sqlite(
    pg_url: str, ident_db_template: Path, tmp_path: Path
) -> None:
    world = synthetic(random.Random(2736), 400)
    policy_ids, pg_items = await load(pg_url, world)
    sqlite_db = tmp_path / "ident.db"
    shutil.copyfile(ident_db_template, sqlite_db)
    _, sqlite_items = await load(f"sqlite+aiosqlite:///{sqlite_db}", world)
    assert pg_items == sqlite_items
    assert {o for _, o, _, _ in pg_items} >= {"stay", "exit", "entry", "below_cut", "reentry", "monitoring"}

    engine = make_engine(pg_url)
    try:
        async with make_session_factory(engine)() as session:
            from identification.service.policies import load_policy

            for policy_id in policy_ids:
                policy = (await load_policy(session, policy_id)).policy
                ev = evaluation_select(policy, "510822")
                rows = {r.household_id: r for r in (await session.execute(sa.select(ev))).all()}
                for facts, _ in world:
                    expected = assess(policy, facts)
                    got = rows[facts.household_id]
                    assert (got.eligible == 1, got.score) == (expected.eligible, expected.score)
                    assert (got.exit_ready == 1, got.at_risk == 1) == (
                        expected.exit_ready,
                        expected.monitoring_candidate,
                    )
    finally:
        await engine.dispose()
