"""Batch re-review: the policy compiled to SQL against one hand-written statement, on N households."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import sqlalchemy as sa

import identification
from bench import memory
from bench.report import Line, Report
from identification.domain.policy import Policy
from identification.policies import DEFAULT, document
from identification.repository import reviews as review_repo
from identification.repository.evaluation import evaluation_select
from identification.service.policies import create_policy
from identification.service.reviews import evaluate_review
from jzkit.auth import Principal, Role
from jzkit.db import SessionFactory, make_engine, make_session_factory, unit_of_work
from jzkit.migrate import upgrade
from jzkit.pgadmin import recreate_database, with_database
from jzkit.testing.stack import drop_database

COUNTY = "510822000000"
VILLAGES = 1000  # 20 townships × 50 villages
VILLAGE_QUOTA = 800
REVIEW_SECONDS_AIM = 60.0
REVIEW_RATIO_AIM = 1.5
MB = 2**20
REPEATS = 3  # the evaluation timings take the best of a few runs; the review path runs once

# N synthetic households spread over 1000 villages, made by the server (no rows cross the wire).
FILL = """
INSERT INTO household_facts (
    household_id, household_version, division_code, registry_status, annual_net_income_fen, members_count,
    per_capita_income_fen, labour_members, labour_percent, ill_members, disabled_members, students, housing,
    causes, flags, has_disabled_member, single_child, all_daughters, snapshot, decision_status, monitored,
    updated_at)
SELECT 'hh-' || lpad(g::text, 10, '0'), 1,
       '510822' || lpad((100 + (g % 1000) / 50)::text, 3, '0') || lpad((201 + g % 50)::text, 3, '0'),
       'registered', m * pci, m, pci, lab, lab * 100 / m, (g / 3) % 2, dis, (g / 5) % 2,
       (ARRAY['safe', 'basic', 'unsafe', 'none'])[1 + (g / 11) % 4],
       (ARRAY[',', ',illness,', ',disaster,lack_of_labour,', ',education,', ',lack_of_funds,',
              ',illness,lack_of_land,'])[1 + (g / 13) % 6],
       CASE WHEN g % 40 = 0 THEN ',idle_land,' WHEN g % 97 = 0 THEN ',crime,' ELSE ',' END,
       dis > 0, g % 5 = 0, g % 11 = 0, '{}',
       CASE WHEN g % 10 = 0 THEN 'poor' WHEN g % 17 = 0 THEN 'exited' ELSE 'registered' END,
       g % 23 = 0, now()
FROM (SELECT g, g % 6 + 1 AS m, (g::bigint * 7919) % 700000 AS pci, LEAST(g % 6 + 1, (g / 7) % 7) AS lab,
             CASE WHEN g % 13 = 0 THEN 1 ELSE 0 END AS dis
      FROM generate_series(1, $1) AS g) AS s
"""

# The default policy (default-2016.json) written out by hand: eligibility and score per household.
HAND_WRITTEN = """
SELECT count(*) FILTER (WHERE eligible), sum(score) FROM (
  SELECT per_capita_income_fen < 273600
         AND flags NOT LIKE '%,idle_land,%' AND flags NOT LIKE '%,family_planning_violation,%'
         AND flags NOT LIKE '%,crime,%' AS eligible,
         (CASE WHEN per_capita_income_fen < 100000 THEN 40 WHEN per_capita_income_fen < 200000 THEN 28
               WHEN per_capita_income_fen < 273600 THEN 16 ELSE 0 END)
       + (CASE WHEN annual_net_income_fen < 500000 THEN 10
               WHEN annual_net_income_fen < 1000000 THEN 5 ELSE 0 END)
       + (CASE WHEN labour_percent < 1 THEN 20 WHEN labour_percent < 50 THEN 12
               WHEN labour_percent < 100 THEN 4 ELSE 0 END)
       + (CASE housing WHEN 'none' THEN 20 WHEN 'unsafe' THEN 20 WHEN 'basic' THEN 8 ELSE 0 END)
       + LEAST(100,
             (CASE WHEN causes LIKE '%,illness,%' THEN 50 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,disability,%' THEN 50 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,disaster,%' THEN 40 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,lack_of_labour,%' THEN 40 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,education,%' THEN 30 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,lack_of_land,%' THEN 20 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,lack_of_water,%' THEN 20 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,lack_of_skills,%' THEN 20 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,lack_of_funds,%' THEN 20 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,poor_transport,%' THEN 20 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,lack_of_drive,%' THEN 10 ELSE 0 END)
           + (CASE WHEN causes LIKE '%,other,%' THEN 10 ELSE 0 END)) * 10 / 100 AS score
  FROM household_facts WHERE division_code LIKE '510822%') AS e
"""

QUOTAS = """
INSERT INTO quotas (id, division_code, year, people, version, updated_at, updated_by, reason)
SELECT 'q-' || division_code, division_code, $1, $2, 1, now(), 'bench', 'bench'
FROM (SELECT DISTINCT division_code FROM household_facts) AS v
"""


@dataclass(frozen=True)
class ReviewResult:
    """Seconds of the compiled evaluation, the whole review path, and the hand-written statement."""

    households: int
    fill_seconds: float
    compiled_seconds: float
    hand_seconds: float
    review_seconds: float
    eligible: int
    peak_rss_bytes: int

    @property
    def ratio(self) -> float:
        """Compiled evaluation (eligibility + score of every household) over the hand-written one."""
        return self.compiled_seconds / self.hand_seconds

    @property
    def review_ratio(self) -> float:
        """The whole review job path (evaluate, rank, classify, write items, summarise) over hand-written."""
        return self.review_seconds / self.hand_seconds


async def _fill(dsn: str, households: int, year: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.execute(FILL, households)
        await conn.execute(QUOTAS, year, VILLAGE_QUOTA)
        await conn.execute("ANALYZE")
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _best_hand(dsn: str) -> tuple[float, tuple[int, int]]:
    conn = await asyncpg.connect(dsn)
    try:
        best, answer = float("inf"), (0, 0)
        for _ in range(REPEATS):
            started = time.perf_counter()
            row = await conn.fetchrow(HAND_WRITTEN)
            best = min(best, time.perf_counter() - started)
            answer = (int(row[0]), int(row[1]))
        return best, answer
    finally:
        await conn.close()


async def review_benchmark(admin_url: str, households: int = 1_000_000) -> ReviewResult:
    """Fill a scratch database with ``households``, then time compiled SQL, the review path, hand SQL."""
    memory.reset_peak()
    name = f"jz_bench_review_{uuid.uuid4().hex[:8]}"
    await recreate_database(admin_url, name)
    url = with_database(admin_url, name, "postgresql+asyncpg")
    engine = make_engine(url)
    try:
        await asyncio.to_thread(upgrade, identification.MIGRATIONS_DIR, url)
        sessions = make_session_factory(engine)
        admin = Principal(subject="bench", role=Role.ADMIN, jurisdiction="510000000000")
        now = datetime.now(UTC)
        async with unit_of_work(sessions) as session:
            stored = await create_policy(session, admin, document(DEFAULT), "bench", now)
        fill_seconds = await _fill(with_database(admin_url, name), households, stored.year)
        hand_seconds, hand_answer = await _best_hand(with_database(admin_url, name))
        compiled_seconds, compiled_answer = await _best_compiled(sessions, stored.policy)
        if compiled_answer != hand_answer:
            raise AssertionError(f"compiled {compiled_answer} and hand-written {hand_answer} disagree")
        review_id = f"bench-{uuid.uuid4().hex[:12]}"
        async with unit_of_work(sessions) as session:
            await review_repo.insert_review(session, _review_row(review_id, stored.id, stored.year, now))
        started = time.perf_counter()
        async with unit_of_work(sessions) as session:
            await evaluate_review(session, review_id)
        review_seconds = time.perf_counter() - started
        return ReviewResult(
            households=households,
            fill_seconds=fill_seconds,
            compiled_seconds=compiled_seconds,
            hand_seconds=hand_seconds,
            review_seconds=review_seconds,
            eligible=hand_answer[0],
            peak_rss_bytes=memory.peak_rss_bytes(),
        )
    finally:
        await engine.dispose()
        await drop_database(admin_url, name)


async def _best_compiled(sessions: SessionFactory, policy: Policy) -> tuple[float, tuple[int, int]]:
    ev = evaluation_select(policy, "510822")
    stmt = sa.select(sa.func.count().filter(ev.c.eligible == 1), sa.func.sum(ev.c.score)).select_from(ev)
    best, answer = float("inf"), (0, 0)
    for _ in range(REPEATS):
        async with sessions() as session:
            started = time.perf_counter()
            eligible, score = (await session.execute(stmt)).one()
            best = min(best, time.perf_counter() - started)
            answer = (int(eligible), int(score))
    return best, answer


def _review_row(review_id: str, policy_id: str, year: int, now: datetime) -> dict[str, object]:
    return {
        "id": review_id,
        "division_code": COUNTY,
        "year": year,
        "policy_id": policy_id,
        "dry_run": True,
        "status": "running",
        "phase": "evaluating",
        "done": 0,
        "total": 0,
        "requested_by": "bench",
        "requested_role": Role.ADMIN.value,
        "requested_jurisdiction": COUNTY,
        "reason": "bench",
        "created_at": now,
    }


def report_lines(report: Report, households: int, admin_url: str) -> None:
    """Identification's batch evaluation and whole re-review path vs one hand-written SQL statement."""
    print(f"review: {households:,} households in a scratch database ...")
    result = asyncio.run(review_benchmark(admin_url, households))
    hand = result.hand_seconds
    report.add(Line("review", "compiled policy SQL", result.compiled_seconds, "s", baseline=hand))
    report.add(
        Line("review", "compiled vs hand-written (aim)", result.compiled_seconds, "s", hand, REVIEW_RATIO_AIM)
    )
    report.add(Line("review", "whole re-review path", result.review_seconds, "s", baseline=hand))
    report.add(Line("review", "whole re-review (aim)", result.review_seconds, "s", aim=REVIEW_SECONDS_AIM))
    report.add(Line("review", "peak RSS", result.peak_rss_bytes / MB, "MB"))
    report.add(Line("review", "eligible households", result.eligible, "households"))
    report.notes.append(
        f"review: {result.households:,} households filled in {result.fill_seconds:.1f} s; compiled = the"
        " default policy compiled to one SQL statement (eligibility + score of every household, best of 3);"
        " whole path = evaluate, rank within village quotas, classify, write every result row and the"
        " per-village summary (dry run: no cases opened); baseline = one hand-written SQL statement computing"
        " the same eligibility and score on the same table, whose answer must match"
    )
