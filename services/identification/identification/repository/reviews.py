"""SQL of re-review runs: the one set-based statement that evaluates, ranks and classifies a division."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.policy import Policy
from identification.models.facts import household_facts as T
from identification.models.quotas import quotas as Q
from identification.models.reviews import review_items as I
from identification.models.reviews import reviews as R
from identification.repository.evaluation import NOT_POOR, evaluation_select

Row = sa.Row[tuple[Any, ...]]
CANDIDATE_STATUSES = ("registered", "rejected")


def classified(policy: Policy, division_prefix: str, year: int) -> sa.Subquery:
    """Every household of the division with its review outcome (or NULL when nothing is proposed).

    Within a village, candidates (not poor, eligible) are ranked: priorities first, then score
    descending, then lower per-capita income, then household id. They are admitted whole while the
    running sum of their members, on top of the people who stay or re-enter, fits the village's
    quota. The first household that does not fit ends admission: a smaller household ranked below
    it does not jump the queue (整户识别, no filling the remainder out of order).
    """
    ev = evaluation_select(policy, division_prefix)
    candidate = sa.and_(ev.c.decision_status.in_(CANDIDATE_STATUSES), ev.c.eligible == 1)
    kept = sa.or_(
        sa.and_(ev.c.decision_status == "poor", ev.c.exit_ready == 0),
        sa.and_(ev.c.decision_status == "exited", ev.c.eligible == 1),
    )
    members = ev.c.members_count
    base_use = sa.func.sum(sa.case((kept, members), else_=0)).over(partition_by=ev.c.division_code)
    running = sa.func.sum(sa.case((candidate, members), else_=0)).over(
        partition_by=ev.c.division_code,
        order_by=(
            sa.case((candidate, 0), else_=1),
            ev.c.priority.desc(),
            ev.c.score.desc(),
            ev.c.per_capita_income_fen.asc(),
            ev.c.household_id.asc(),
        ),
        rows=(None, 0),
    )
    ranked = (
        sa.select(
            ev,
            sa.case((candidate, 1), else_=0).label("candidate"),
            base_use.label("base_use"),
            running.label("running"),
            sa.func.coalesce(Q.c.people, 0).label("quota"),
        )
        .select_from(ev.outerjoin(Q, sa.and_(Q.c.division_code == ev.c.division_code, Q.c.year == year)))
        .subquery("ranked")
    )
    status = ranked.c.decision_status
    outcome = sa.case(
        (sa.and_(status == "poor", ranked.c.exit_ready == 1), "exit"),
        (status == "poor", "stay"),
        (sa.and_(status == "exited", ranked.c.eligible == 1), "reentry"),
        (sa.and_(ranked.c.candidate == 1, ranked.c.base_use + ranked.c.running <= ranked.c.quota), "entry"),
        (ranked.c.candidate == 1, "below_cut"),
        (sa.and_(status.in_(NOT_POOR), sa.not_(ranked.c.monitored), ranked.c.at_risk == 1), "monitoring"),
        else_=sa.null(),
    )
    return sa.select(ranked, outcome.label("outcome")).subquery("classified")


def insert_items_statement(review_id: str, policy: Policy, division_prefix: str, year: int) -> sa.Insert:
    """INSERT … SELECT of every household with an outcome into ``review_items``."""
    c = classified(policy, division_prefix, year)
    select = sa.select(
        sa.literal(review_id, sa.String),
        c.c.household_id,
        c.c.division_code,
        c.c.outcome,
        c.c.score,
        c.c.priority,
        c.c.members_count,
        c.c.per_capita_income_fen,
    ).where(c.c.outcome.is_not(None))
    columns = [
        "review_id",
        "household_id",
        "village_code",
        "outcome",
        "score",
        "priority",
        "members_count",
        "per_capita_income_fen",
    ]
    return sa.insert(I).from_select(columns, select)


async def write_items(
    session: AsyncSession, review_id: str, policy: Policy, division_prefix: str, year: int
) -> None:
    """Replace the items of ``review_id`` with a fresh evaluation (a resumed run starts over)."""
    await session.execute(sa.delete(I).where(I.c.review_id == review_id))
    await session.execute(insert_items_statement(review_id, policy, division_prefix, year))


async def count_households(session: AsyncSession, division_prefix: str) -> int:
    """Households of the projection under ``division_prefix``."""
    stmt = sa.select(sa.func.count()).where(T.c.division_code.startswith(division_prefix, autoescape=True))
    return int((await session.execute(stmt)).scalar_one())


async def outcome_totals(session: AsyncSession, review_id: str) -> Sequence[Row]:
    """(village, outcome, households, people) of one review."""
    stmt = (
        sa.select(I.c.village_code, I.c.outcome, sa.func.count(), sa.func.sum(I.c.members_count))
        .where(I.c.review_id == review_id)
        .group_by(I.c.village_code, I.c.outcome)
        .order_by(I.c.village_code, I.c.outcome)
    )
    return (await session.execute(stmt)).all()


async def changes(session: AsyncSession, review_id: str, outcomes: Sequence[str]) -> Sequence[Row]:
    """Items with one of ``outcomes``, by village, outcome, then rank order."""
    stmt = (
        sa.select(I)
        .where(I.c.review_id == review_id, I.c.outcome.in_(list(outcomes)))
        .order_by(
            I.c.village_code,
            I.c.outcome,
            I.c.priority.desc(),
            I.c.score.desc(),
            I.c.per_capita_income_fen,
            I.c.household_id,
        )
    )
    return (await session.execute(stmt)).all()


async def without_case(
    session: AsyncSession, review_id: str, outcomes: Sequence[str], limit: int
) -> Sequence[Row]:
    """Proposed changes that have no case yet (resumable case opening)."""
    stmt = (
        sa.select(I)
        .where(
            I.c.review_id == review_id,
            I.c.outcome.in_(list(outcomes)),
            I.c.case_id.is_(None),
            I.c.case_error.is_(None),
        )
        .order_by(I.c.village_code, I.c.outcome, I.c.household_id)
        .limit(limit)
    )
    return (await session.execute(stmt)).all()


async def set_case(
    session: AsyncSession, review_id: str, household_id: str, case_id: str | None, error: str | None = None
) -> None:
    """Remember the case opened for one item, or why none could be opened."""
    stmt = sa.update(I).where(I.c.review_id == review_id, I.c.household_id == household_id)
    await session.execute(stmt.values(case_id=case_id, case_error=error))


async def insert_review(session: AsyncSession, values: dict[str, Any]) -> None:
    """Queue a review job."""
    await session.execute(sa.insert(R).values(**values))


async def get_review(session: AsyncSession, review_id: str) -> Row | None:
    """One review job."""
    return (await session.execute(sa.select(R).where(R.c.id == review_id))).one_or_none()


async def update_review(session: AsyncSession, review_id: str, **values: Any) -> None:
    """Set fields of one review job."""
    await session.execute(sa.update(R).where(R.c.id == review_id).values(**values))


async def claim(session: AsyncSession, review_id: str) -> bool:
    """Mark a queued review running; False when another runner took it."""
    stmt = sa.update(R).where(R.c.id == review_id, R.c.status == "queued").values(status="running")
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def queued(session: AsyncSession) -> list[str]:
    """Ids of queued reviews, oldest first."""
    stmt = sa.select(R.c.id).where(R.c.status == "queued").order_by(R.c.created_at, R.c.id)
    return [str(x) for x in (await session.execute(stmt)).scalars()]


async def requeue_running(session: AsyncSession) -> None:
    """Hand reviews left running by a stopped process back to the queue (runs are repeatable)."""
    await session.execute(sa.update(R).where(R.c.status == "running").values(status="queued"))
